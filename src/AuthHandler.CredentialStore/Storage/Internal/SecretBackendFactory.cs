namespace AuthHandler.Storage.Internal;

/// <summary>
/// Replaces the platform's credential store in the stores the registrations create: a service
/// only tests register (a Secret Service on a private bus), never the application.
/// </summary>
/// <param name="Create">Creates the credential store, or null for none.</param>
internal sealed record SecretBackendFactory(Func<ISecretBackend?> Create);
