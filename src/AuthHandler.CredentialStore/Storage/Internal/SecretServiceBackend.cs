using Tmds.DBus.Protocol;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// The freedesktop.org Secret Service API (GNOME Keyring, KWallet, KeePassXC) over the D-Bus
/// session bus, spoken directly with Tmds.DBus.Protocol: no native libsecret at run time, and
/// every call under our own timeout. libsecret's synchronous calls wait for an unlock prompt as
/// long as the user takes; here a prompt is never shown or awaited: a locked collection is
/// reported as unavailable.
/// </summary>
/// <remarks>
/// Each operation opens its own connection and closes it, so a keyring daemon that restarted or a
/// bus that went away costs one failed operation, not a broken store. Secrets travel with the
/// "plain" algorithm: the session bus is a Unix socket private to the user, and anything that can
/// read it runs as the user and could ask the Secret Service for the item itself.
/// </remarks>
internal sealed class SecretServiceBackend : ISecretBackend
{
    private const string Service = "org.freedesktop.secrets";
    private const string ServicePath = "/org/freedesktop/secrets";
    private const string ServiceInterface = "org.freedesktop.Secret.Service";
    private const string CollectionInterface = "org.freedesktop.Secret.Collection";
    private const string ItemInterface = "org.freedesktop.Secret.Item";
    private const string Schema = "io.github.authhandler.Tokens";
    private const string NoPrompt = "/";

    /// <summary>Long enough for a keyring daemon that D-Bus starts on demand, short enough that a hung bus never blocks a refresh for long.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly string? _address;
    private readonly TimeSpan _timeout;

    /// <param name="address">The bus address; null: the session bus of the environment (DBUS_SESSION_BUS_ADDRESS).</param>
    /// <param name="timeout">The bound on each whole operation (connect, open a session, find the collection, the call).</param>
    public SecretServiceBackend(string? address = null, TimeSpan? timeout = null)
    {
        _address = address;
        _timeout = timeout ?? DefaultTimeout;
    }

    public TokenStorageKind Kind => TokenStorageKind.SecretService;

    public string Description => "the Secret Service (default keyring collection) on the D-Bus session bus";

    public async ValueTask ProbeAsync(CancellationToken cancellationToken) =>
        await RunAsync<bool, bool>(static (_, _, _) => Task.FromResult(true), false, cancellationToken).ConfigureAwait(false);

    public async ValueTask<byte[]?> ReadAsync(SecretName name, CancellationToken cancellationToken) =>
        await RunAsync<SecretName, byte[]?>(
            static async (connection, session, state) =>
            {
                var (collection, name) = state;
                var items = await connection.CallMethodAsync(SearchItems(connection, collection, name), static (m, _) => m.GetBodyReader().ReadArrayOfObjectPath(), null).ConfigureAwait(false);
                if (items.Length == 0)
                {
                    return null;
                }

                return await connection.CallMethodAsync(GetSecret(connection, items[0], session), static (m, _) => ReadSecretValue(m), null).ConfigureAwait(false);
            },
            name,
            cancellationToken).ConfigureAwait(false);

    public async ValueTask WriteAsync(SecretName name, byte[] secret, CancellationToken cancellationToken) =>
        await RunAsync(
            static async (connection, session, state) =>
            {
                var (collection, (name, secret)) = state;
                var (_, prompt) = await connection.CallMethodAsync(CreateItem(connection, collection, session, name, secret), static (m, _) => ReadPathAndPrompt(m), null).ConfigureAwait(false);
                await RefusePromptAsync(connection, prompt).ConfigureAwait(false);
                return true;
            },
            (name, secret),
            cancellationToken).ConfigureAwait(false);

    public async ValueTask DeleteAsync(SecretName name, CancellationToken cancellationToken) =>
        await RunAsync(
            static async (connection, _, state) =>
            {
                var (collection, name) = state;
                var items = await connection.CallMethodAsync(SearchItems(connection, collection, name), static (m, _) => m.GetBodyReader().ReadArrayOfObjectPath(), null).ConfigureAwait(false);
                foreach (var item in items)
                {
                    var prompt = await connection.CallMethodAsync(Call(connection, item, ItemInterface, "Delete"), static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), null).ConfigureAwait(false);
                    await RefusePromptAsync(connection, prompt).ConfigureAwait(false);
                }

                return true;
            },
            name,
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Connects, opens a session, finds the default collection unlocked, and runs
    /// <paramref name="operation"/> on it, all within the timeout; the connection is closed after.
    /// </summary>
    private async Task<TResult> RunAsync<TState, TResult>(Func<DBusConnection, string, (string Collection, TState State), Task<TResult>> operation, TState state, CancellationToken cancellationToken)
    {
        var address = _address ?? DBusAddress.Session;
        if (string.IsNullOrEmpty(address))
        {
            throw new CredentialStoreUnavailableException("there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set, as in an SSH session, a container or CI)");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var connection = new DBusConnection(address);
        try
        {
            // The library's calls take no cancellation token: the wait is bounded here, and
            // disposing the connection below ends whatever call is still pending.
            await connection.ConnectAsync().AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
            var session = await connection.CallMethodAsync(OpenSession(connection), static (m, _) => ReadOpenSession(m), null).WaitAsync(timeout.Token).ConfigureAwait(false);
            var collection = await UnlockedDefaultCollectionAsync(connection).WaitAsync(timeout.Token).ConfigureAwait(false);
            return await operation(connection, session, (collection, state)).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TokenStoreException($"The Secret Service on the D-Bus session bus did not answer within {_timeout.TotalSeconds:0.#} s; the tokens are kept and the next use tries again.", isTransient: true);
        }
        catch (DBusErrorReplyException ex) when (ex.ErrorName is "org.freedesktop.DBus.Error.ServiceUnknown" or "org.freedesktop.DBus.Error.NameHasNoOwner")
        {
            throw new CredentialStoreUnavailableException("no Secret Service is running on the D-Bus session bus (install and start gnome-keyring, KWallet or KeePassXC)", ex);
        }
        catch (DBusErrorReplyException ex) when (ex.ErrorName == "org.freedesktop.Secret.Error.IsLocked")
        {
            throw Locked(ex);
        }
        catch (DBusErrorReplyException ex)
        {
            // The error name and message come from the keyring daemon and name objects, never a secret we sent.
            throw new TokenStoreException($"The Secret Service refused the request ({ex.ErrorName}: {ex.ErrorMessage}).", isTransient: true, ex);
        }
        catch (DBusConnectionException ex)
        {
            throw new CredentialStoreUnavailableException($"the D-Bus session bus cannot be reached ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or DBusExceptionBase)
        {
            throw new CredentialStoreUnavailableException($"the D-Bus session bus cannot be reached ({ex.GetType().Name}: {ex.Message})", ex);
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// The default collection ("login" in GNOME Keyring), unlocked. Unlock is asked only because a
    /// collection may unlock without a prompt; a prompt it returns is dismissed, never shown: the
    /// caller is a CLI or a service that must not wait for a person.
    /// </summary>
    private static async Task<string> UnlockedDefaultCollectionAsync(DBusConnection connection)
    {
        var collection = await connection.CallMethodAsync(ReadAlias(connection), static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), null).ConfigureAwait(false);
        if (collection == NoPrompt)
        {
            throw new CredentialStoreUnavailableException("the Secret Service has no default keyring collection (create one, for example by signing in to a desktop session once, or with Seahorse)");
        }

        var locked = await connection.CallMethodAsync(GetLocked(connection, collection), static (m, _) => m.GetBodyReader().ReadVariantValue().GetBool(), null).ConfigureAwait(false);
        if (!locked)
        {
            return collection;
        }

        var (unlocked, prompt) = await connection.CallMethodAsync(Unlock(connection, collection), static (m, _) => ReadUnlock(m), null).ConfigureAwait(false);
        if (unlocked.Contains(collection, StringComparer.Ordinal) && prompt == NoPrompt)
        {
            return collection;
        }

        await DismissAsync(connection, prompt).ConfigureAwait(false);
        throw Locked(null);
    }

    /// <summary>A write or delete that the service wants a person to confirm: refused, as a locked store.</summary>
    private static async Task RefusePromptAsync(DBusConnection connection, string prompt)
    {
        if (prompt != NoPrompt)
        {
            await DismissAsync(connection, prompt).ConfigureAwait(false);
            throw Locked(null);
        }
    }

    private static async Task DismissAsync(DBusConnection connection, string prompt)
    {
        if (prompt == NoPrompt)
        {
            return;
        }

        try
        {
            await connection.CallMethodAsync(Call(connection, prompt, "org.freedesktop.Secret.Prompt", "Dismiss")).ConfigureAwait(false);
        }
        catch (DBusExceptionBase)
        {
            // Best effort: an undismissed prompt is never shown, since only Prompt() shows it.
        }
    }

    private static CredentialStoreUnavailableException Locked(Exception? inner) => new(
        "the default keyring collection is locked, and AuthHandler does not wait for an unlock prompt (unlock it: sign in to the desktop session, or open Seahorse or KWallet)",
        inner ?? new InvalidOperationException("locked"));

    private static MessageBuffer OpenSession(DBusConnection connection)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Service, ServicePath, ServiceInterface, "OpenSession", "sv");
        writer.WriteString("plain");
        writer.WriteVariantString(string.Empty);
        return writer.CreateMessage();
    }

    private static string ReadOpenSession(Message message)
    {
        var reader = message.GetBodyReader();
        _ = reader.ReadVariantValue();
        return reader.ReadObjectPathAsString();
    }

    private static MessageBuffer ReadAlias(DBusConnection connection)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Service, ServicePath, ServiceInterface, "ReadAlias", "s");
        writer.WriteString("default");
        return writer.CreateMessage();
    }

    private static MessageBuffer GetLocked(DBusConnection connection, string collection)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Service, collection, "org.freedesktop.DBus.Properties", "Get", "ss");
        writer.WriteString(CollectionInterface);
        writer.WriteString("Locked");
        return writer.CreateMessage();
    }

    private static MessageBuffer Unlock(DBusConnection connection, string collection)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Service, ServicePath, ServiceInterface, "Unlock", "ao");
        writer.WriteArray(new[] { new ObjectPath(collection) });
        return writer.CreateMessage();
    }

    private static (string[] Unlocked, string Prompt) ReadUnlock(Message message)
    {
        var reader = message.GetBodyReader();
        var unlocked = reader.ReadArrayOfObjectPath().Select(p => p.ToString()).ToArray();
        return (unlocked, reader.ReadObjectPathAsString());
    }

    private static MessageBuffer SearchItems(DBusConnection connection, string collection, SecretName name)
    {
        var writer = connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(Service, collection, CollectionInterface, "SearchItems", "a{ss}");
            WriteAttributes(ref writer, name);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static MessageBuffer GetSecret(DBusConnection connection, ObjectPath item, string session)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Service, item.ToString(), ItemInterface, "GetSecret", "o");
        writer.WriteObjectPath(session);
        return writer.CreateMessage();
    }

    /// <summary>The value of a Secret struct (oayays): session, parameters, value, content type.</summary>
    private static byte[] ReadSecretValue(Message message)
    {
        var reader = message.GetBodyReader();
        reader.AlignStruct();
        _ = reader.ReadObjectPath();
        _ = reader.ReadArrayOfByte();
        return reader.ReadArrayOfByte();
    }

    /// <summary>
    /// CreateItem with replace = true: the service replaces the secret of the item with the same
    /// attributes in one step, so a reader sees the old record or the new one.
    /// </summary>
    private static MessageBuffer CreateItem(DBusConnection connection, string collection, string session, SecretName name, byte[] secret)
    {
        var writer = connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(Service, collection, CollectionInterface, "CreateItem", "a{sv}(oayays)b");
            var properties = writer.WriteDictionaryStart();
            writer.WriteDictionaryEntryStart();
            writer.WriteString("org.freedesktop.Secret.Item.Label");
            writer.WriteVariantString(name.Label);
            writer.WriteDictionaryEntryStart();
            writer.WriteString("org.freedesktop.Secret.Item.Attributes");
            writer.WriteSignature("a{ss}");
            WriteAttributes(ref writer, name);
            writer.WriteDictionaryEnd(properties);
            writer.WriteStructureStart();
            writer.WriteObjectPath(session);
            writer.WriteArray(Array.Empty<byte>());
            writer.WriteArray(secret);
            writer.WriteString("application/json");
            writer.WriteBool(true);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static (string Item, string Prompt) ReadPathAndPrompt(Message message)
    {
        var reader = message.GetBodyReader();
        var item = reader.ReadObjectPathAsString();
        return (item, reader.ReadObjectPathAsString());
    }

    private static MessageBuffer Call(DBusConnection connection, string path, string @interface, string member)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Service, path, @interface, member);
        return writer.CreateMessage();
    }

    /// <summary>The attributes that find the item: the schema (as libsecret writes it), the directory of its lock, the key's hash.</summary>
    private static void WriteAttributes(ref MessageWriter writer, SecretName name)
    {
        var attributes = writer.WriteDictionaryStart();
        writer.WriteDictionaryEntryStart();
        writer.WriteString("xdg:schema");
        writer.WriteString(Schema);
        writer.WriteDictionaryEntryStart();
        writer.WriteString("directory");
        writer.WriteString(name.Directory);
        writer.WriteDictionaryEntryStart();
        writer.WriteString("key");
        writer.WriteString(name.KeyHash);
        writer.WriteDictionaryEnd(attributes);
    }
}
