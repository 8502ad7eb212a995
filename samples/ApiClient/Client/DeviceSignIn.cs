using ApiClient.Output;
using AuthHandler;

namespace ApiClient.Client;

/// <summary>The device flow as a terminal shows it: the code, a QR code, then a spinner until the user decides.</summary>
internal static class DeviceSignIn
{
    /// <summary>Signs <paramref name="session"/> in; throws <see cref="DeviceAuthorizationException"/> when it does not complete.</summary>
    /// <param name="session">The session to sign in.</param>
    /// <param name="reporter">Shows the code and the wait.</param>
    /// <param name="hint">A sentence shown after the code, if any.</param>
    /// <param name="codeShown">Runs once the code is on screen, while the session already polls (login opens the browser there).</param>
    /// <param name="time">The clock of the countdown.</param>
    /// <param name="cancellationToken">Stops polling.</param>
    public static async Task RunAsync(
        DeviceAuthSession session,
        Reporter reporter,
        string? hint,
        Func<OnDeviceCodeArguments, CancellationToken, Task>? codeShown,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var issued = new TaskCompletionSource<OnDeviceCodeArguments>(TaskCreationOptions.RunContinuationsAsynchronously);
        var signIn = session.SignInAsync(
            code =>
            {
                issued.TrySetResult(code);
                return ValueTask.CompletedTask;
            },
            cancellationToken);

        if (await Task.WhenAny(issued.Task, signIn) == signIn)
        {
            // The server refused before there was a code to show.
            await signIn;
            return;
        }

        var code = await issued.Task;
        reporter.CodeIssued(code, hint);
        if (codeShown is not null)
        {
            await codeShown(code, cancellationToken);
        }

        await reporter.WaitForApprovalAsync(signIn, code.ExpiresAt, time);
    }
}
