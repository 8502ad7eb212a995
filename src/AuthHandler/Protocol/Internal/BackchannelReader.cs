using System.Buffers;

namespace AuthHandler.Protocol.Internal;

internal static class BackchannelReader
{
    /// <summary>The largest answer read from the authorization server.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Reads at most <paramref name="limit"/> bytes; returns null when the body is larger.</summary>
    public static async Task<byte[]?> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
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
