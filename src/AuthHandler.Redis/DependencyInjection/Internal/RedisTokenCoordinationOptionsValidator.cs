using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// Checks the options, and that the services they depend on are registered, when the application
/// starts (<c>ValidateOnStart</c>) rather than at the first refresh.
/// </summary>
internal sealed class RedisTokenCoordinationOptionsValidator(IServiceProviderIsService services) : IValidateOptions<RedisTokenCoordinationOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisTokenCoordinationOptions options)
    {
        var failures = new List<string>();
        var prefix = $"RedisTokenCoordinationOptions for HTTP client '{name}': ";

        if (options.Configuration is not null && options.ConnectionMultiplexerFactory is not null)
        {
            failures.Add(prefix + "set Configuration or ConnectionMultiplexerFactory, not both.");
        }
        else if (options.Configuration is not null)
        {
            if (string.IsNullOrWhiteSpace(options.Configuration))
            {
                failures.Add(prefix + "Configuration is empty.");
            }
            else
            {
                try
                {
                    _ = ConfigurationOptions.Parse(options.Configuration);
                }
                catch (ArgumentException ex)
                {
                    // The parser names the offending option, never a password's value.
                    failures.Add(prefix + $"Configuration is not a valid StackExchange.Redis configuration string: {ex.Message}");
                }
            }
        }
        else if (options.ConnectionMultiplexerFactory is null && !services.IsService(typeof(IConnectionMultiplexer)))
        {
            failures.Add(prefix + "no Redis connection: set Configuration (a StackExchange.Redis configuration string) or ConnectionMultiplexerFactory, or register an IConnectionMultiplexer service.");
        }

        if (!services.IsService(typeof(IDataProtectionProvider)))
        {
            failures.Add(prefix + RedisTokenCoordination.MissingDataProtection);
        }

        if (options.KeyPrefix is null)
        {
            failures.Add(prefix + "KeyPrefix must not be null (it may be empty).");
        }
        else if (options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            failures.Add(prefix + $"KeyPrefix '{options.KeyPrefix}' must not contain '{{' or '}}': they would change the keys' Redis Cluster hash tag.");
        }

        if (options.LockLease < RedisTokenCoordinationConstants.MinimumLockLease)
        {
            failures.Add(prefix + "LockLease must be at least 1 second.");
        }

        if (options.LockWaitTimeout <= TimeSpan.Zero)
        {
            failures.Add(prefix + "LockWaitTimeout must be positive.");
        }

        if (string.IsNullOrWhiteSpace(options.DataProtectionPurpose))
        {
            failures.Add(prefix + "DataProtectionPurpose must not be empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
