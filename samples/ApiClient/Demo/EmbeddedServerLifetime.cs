using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Hosting;

namespace ApiClient.Demo;

/// <summary>
/// Keeps the embedded server out of the process's Ctrl+C and SIGTERM handling (the default
/// console lifetime would take them over); the command line owns those, and stops the server.
/// </summary>
[SuppressMessage("Performance", "CA1812", Justification = "Created by the host's service provider.")]
internal sealed class EmbeddedServerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
