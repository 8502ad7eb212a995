using System.Text;
using System.Text.Json;
using AuthHandler.Storage.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class StoredTokensTests
{
    private static StoredTokens Read(string json) =>
        JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(json), StoredTokensJsonContext.Default.StoredTokens)!;

    [Theory]
    [InlineData("\"0001-01-01T00:00:00+05:00\"")]
    [InlineData("\"9999-12-31T23:00:00-05:00\"")]
    [InlineData("\"tomorrow\"")]
    [InlineData("\"\"")]
    [InlineData("1767268800")]
    [InlineData("{\"at\":1}")]
    [InlineData("[1,2]")]
    [InlineData("true")]
    public void Deserialize_UnreadableInstants_ReadAsMinValue(string value)
    {
        var stored = Read($$"""{"access_token":"a","expires_at":{{value}},"refresh_token":"r","refresh_token_expires_at":{{value}},"issued_at":{{value}},"scope":"read"}""");

        Assert.Equal(DateTimeOffset.MinValue, stored.ExpiresAt);
        Assert.Equal(DateTimeOffset.MinValue, stored.RefreshTokenExpiresAt);
        Assert.Equal(DateTimeOffset.MinValue, stored.IssuedAt);
        Assert.Equal("r", stored.RefreshToken);
        Assert.Equal("read", stored.Scope);
    }

    [Fact]
    public void Deserialize_NullAndMissingInstants_StayNull()
    {
        var stored = Read("""{"access_token":"a","expires_at":null}""");

        Assert.Null(stored.ExpiresAt);
        Assert.Null(stored.RefreshTokenExpiresAt);
        Assert.Null(stored.IssuedAt);
        Assert.Null(stored.ToTokenSet());
    }

    [Fact]
    public void SerializeThenDeserialize_InstantsWithOffsets_RoundTrip()
    {
        var expiresAt = new DateTimeOffset(2026, 1, 1, 13, 0, 0, TimeSpan.FromHours(2));
        var tokens = new TokenSet("a", expiresAt)
        {
            RefreshToken = "r",
            RefreshTokenExpiresAt = DateTimeOffset.MaxValue,
            IssuedAt = DateTimeOffset.MinValue,
        };

        var bytes = JsonSerializer.SerializeToUtf8Bytes(StoredTokens.From(tokens), StoredTokensJsonContext.Default.StoredTokens);
        var loaded = Read(Encoding.UTF8.GetString(bytes)).ToTokenSet()!;

        Assert.Equal(expiresAt, loaded.ExpiresAt);
        Assert.Equal(expiresAt.Offset, loaded.ExpiresAt.Offset);
        Assert.Equal(DateTimeOffset.MaxValue, loaded.RefreshTokenExpiresAt);
        Assert.Equal(DateTimeOffset.MinValue, loaded.IssuedAt);
    }

    [Fact]
    public void SignOut_RoundTrips_AsASignOutRecordWithNoTokens()
    {
        var json = JsonSerializer.Serialize(StoredTokens.SignOut(), StoredTokensJsonContext.Default.StoredTokens);

        var entry = Read(json).ToEntry();

        Assert.True(entry!.Value.SignedOut);
        Assert.Null(entry.Value.Tokens);
        Assert.False(entry.Value.IsLost);
    }

    [Fact]
    public void Moved_RoundTrips_AsAMovedRecordThatIsNoTokensAndNotLost()
    {
        var movedAt = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var json = JsonSerializer.Serialize(StoredTokens.Moved(StoredTokens.MovedToCredentialStore, movedAt), StoredTokensJsonContext.Default.StoredTokens);

        var entry = Read(json).ToEntry();

        Assert.Null(entry!.Value.Tokens);
        Assert.True(entry.Value.SignedOut);
        Assert.False(entry.Value.IsLost);
        Assert.True(entry.Value.IsMoved);
        Assert.Equal(movedAt, entry.Value.MovedAt);
    }

    [Fact]
    public void Moved_Json_IsASignOutRecordToAReaderThatKnowsNoMovedFields()
    {
        // What a version before the moved record reads: unknown fields are ignored, and a record
        // with signed_out true and no access token is a sign-out (IsSignOut), so it neither
        // fails nor writes tokens back.
        var json = JsonSerializer.Serialize(StoredTokens.Moved(StoredTokens.MovedToCredentialStore, DateTimeOffset.UnixEpoch), StoredTokensJsonContext.Default.StoredTokens);
        using var document = JsonDocument.Parse(json);
        var fields = document.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["moved_at", "moved_to", "signed_out", "version"], fields);
        Assert.True(document.RootElement.GetProperty("signed_out").GetBoolean());
        Assert.Equal("credential_store", document.RootElement.GetProperty("moved_to").GetString());
        var asOld = Read(json);
        asOld.MovedTo = null;
        Assert.Equal(StoreEntry.SignOutRecord, asOld.ToEntry());
    }

    [Fact]
    public void ToEntry_MovedToBesideAnAccessToken_IsTokensNotAMovedRecord()
    {
        var entry = Read("""{"access_token":"a","expires_at":"2026-01-01T00:00:00+00:00","signed_out":true,"moved_to":"credential_store"}""").ToEntry();

        Assert.Equal("a", entry!.Value.Tokens!.AccessToken);
        Assert.False(entry.Value.IsMoved);
    }

    [Fact]
    public void From_TokensWithAMarker_KeepTheMarkerThroughJson()
    {
        var tokens = new TokenSet("a", DateTimeOffset.UnixEpoch) { RefreshToken = "r" }.WithRedeeming("17");

        var json = JsonSerializer.Serialize(StoredTokens.From(tokens), StoredTokensJsonContext.Default.StoredTokens);
        var entry = Read(json).ToEntry();

        Assert.Equal("17", entry!.Value.Tokens!.Redeeming);
        Assert.Equal("r", entry.Value.Tokens.RefreshToken);
        Assert.False(entry.Value.SignedOut);
    }

    [Fact]
    public void ToEntry_SignedOutFlagBesideAnAccessToken_IsTokensNotASignOut()
    {
        var entry = Read("""{"access_token":"a","expires_at":"2026-01-01T00:00:00+00:00","signed_out":true}""").ToEntry();

        Assert.Equal("a", entry!.Value.Tokens!.AccessToken);
        Assert.False(entry.Value.SignedOut);
    }

    [Fact]
    public void Default_StoreEntry_IsLost() => Assert.True(default(StoreEntry).IsLost);

    [Fact]
    public void SerializeThenDeserialize_IdToken_RoundTripsAsIdTokenField()
    {
        var tokens = new TokenSet("a", DateTimeOffset.UnixEpoch) { RefreshToken = "r", IdToken = "h.p.s" };

        var json = JsonSerializer.Serialize(StoredTokens.From(tokens), StoredTokensJsonContext.Default.StoredTokens);
        var loaded = Read(json).ToTokenSet()!;

        Assert.Contains("\"id_token\": \"h.p.s\"", json, StringComparison.Ordinal);
        Assert.Equal("h.p.s", loaded.IdToken);
    }

    [Fact]
    public void Deserialize_EntryWrittenWithoutIdToken_ReadsWithNoIdToken()
    {
        var loaded = Read("""{"version":1,"access_token":"a","token_type":"Bearer","expires_at":"2026-01-01T13:00:00+00:00","refresh_token":"r","scope":"read"}""").ToTokenSet()!;

        Assert.Null(loaded.IdToken);
        Assert.Equal("r", loaded.RefreshToken);
    }

    [Fact]
    public void Serialize_TokensWithoutIdToken_WritesNoIdTokenField()
    {
        var json = JsonSerializer.Serialize(StoredTokens.From(new TokenSet("a", DateTimeOffset.UnixEpoch)), StoredTokensJsonContext.Default.StoredTokens);

        Assert.DoesNotContain("id_token", json, StringComparison.Ordinal);
    }
    [Fact]
    public void SerializeThenDeserialize_DPoPKey_RoundTripsAsDPoPKeyField()
    {
        var tokens = new TokenSet("a", DateTimeOffset.UnixEpoch) { TokenType = "DPoP", RefreshToken = "r", DPoPKey = "k-SECRET" };

        var json = JsonSerializer.Serialize(StoredTokens.From(tokens), StoredTokensJsonContext.Default.StoredTokens);
        var loaded = Read(json).ToTokenSet()!;

        Assert.Contains("\"dpop_key\": \"k-SECRET\"", json, StringComparison.Ordinal);
        Assert.Equal("k-SECRET", loaded.DPoPKey);
        Assert.Equal("k-SECRET", loaded.WithRedeeming("m").DPoPKey);
    }

    [Fact]
    public void Deserialize_EntryWrittenWithoutDPoPKey_ReadsAsNotBound() =>
        Assert.Null(Read("""{"version":1,"access_token":"a","token_type":"Bearer","expires_at":"2026-01-01T13:00:00+00:00"}""").ToTokenSet()!.DPoPKey);

    [Fact]
    public void ToString_TokensWithDPoPKey_SaysBoundWithoutTheKey()
    {
        var text = new TokenSet("a", DateTimeOffset.UnixEpoch) { DPoPKey = "k-SECRET" }.ToString();

        Assert.Contains("DPoPBound = True", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
    }
}
