using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace AuthHandler.Protocol.Internal;

/// <summary>The client's identity at the token endpoint (RFC 6749 §2.3).</summary>
internal sealed class ClientCredentials
{
    private readonly string _clientId;
    private readonly string? _clientSecret;
    private readonly ClientAuthenticationMethod _method;

    public ClientCredentials(string clientId, string? clientSecret, ClientAuthenticationMethod method)
    {
        _clientId = clientId;

        // An empty secret (an unset environment variable, say) means a public client.
        _clientSecret = string.IsNullOrEmpty(clientSecret) ? null : clientSecret;
        _method = method == ClientAuthenticationMethod.Automatic
            ? _clientSecret is null ? ClientAuthenticationMethod.None : ClientAuthenticationMethod.ClientSecretBasic
            : method;
    }

    public void Apply(HttpRequestMessage request, List<KeyValuePair<string, string>> form)
    {
        switch (_method)
        {
            case ClientAuthenticationMethod.ClientSecretBasic:
                // RFC 6749 §2.3.1: form-urlencode id and secret before joining and encoding them.
                var pair = WebUtility.UrlEncode(_clientId) + ":" + WebUtility.UrlEncode(_clientSecret);
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
                break;
            case ClientAuthenticationMethod.ClientSecretPost:
                form.Add(new("client_id", _clientId));
                form.Add(new("client_secret", _clientSecret ?? string.Empty));
                break;
            default:
                form.Add(new("client_id", _clientId));
                break;
        }
    }

    public override string ToString() => $"ClientCredentials {{ ClientId = {_clientId}, Method = {_method} }}";
}
