using System.Buffers;

namespace AuthHandler.Protocol.Internal;

internal static class BackchannelReader
{
    /// <summary>The largest answer read from the authorization server.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// Reads at most <see cref="MaxBodyBytes"/> bytes within <paramref name="timeout"/>; returns
    /// null when the body is larger. The responses are read after their headers
    /// (<see cref="HttpCompletionOption.ResponseHeadersRead"/>), where the pipeline's attempt
    /// timeout no longer applies: without this bound a server that sends headers and then stalls
    /// would hold the shared refresh open forever (invariant 3).
    /// </summary>
    /// <exception cref="TimeoutException">The body did not arrive in time.</exception>
    public static async Task<byte[]?> ReadBoundedAsync(HttpContent content, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await ReadBoundedAsync(content, MaxBodyBytes, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The body of the answer did not arrive within {timeout.TotalSeconds:0.#} s.", ex);
        }
    }

    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > limit)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                var length = 0;
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        if (length > limit)
                        {
                            return null;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                        buffer = larger;
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return length > limit ? null : buffer.AsSpan(0, length).ToArray();
                    }

                    length += read;
                }
            }
            finally
            {
                // The buffer held tokens.
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            }
        }
    }
}
