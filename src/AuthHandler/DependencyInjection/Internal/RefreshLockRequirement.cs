namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// Named after the HTTP client and validated at start by <see cref="RefreshLockRequirementValidator"/>:
/// the client's token store has a refresh lock that covers every holder of its refresh token.
/// A type of its own, not a rule of <see cref="DeviceAuthOptions"/>, because checking it resolves
/// the token store, and a store's factory may itself read the client's <see cref="DeviceAuthOptions"/>.
/// </summary>
internal sealed class RefreshLockRequirement
{
}
