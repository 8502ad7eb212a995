using Microsoft.Extensions.Options;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>Fails start-up when a client's store is shared but its refresh lock would be process-local.</summary>
internal sealed class RefreshLockRequirementValidator : IValidateOptions<RefreshLockRequirement>
{
    private readonly IServiceProvider _services;

    public RefreshLockRequirementValidator(IServiceProvider services) => _services = services;

    public ValidateOptionsResult Validate(string? name, RefreshLockRequirement options) =>
        TokenCoordination.MissingLock(_services, name ?? Options.DefaultName) is { } problem
            ? ValidateOptionsResult.Fail(problem)
            : ValidateOptionsResult.Success;
}
