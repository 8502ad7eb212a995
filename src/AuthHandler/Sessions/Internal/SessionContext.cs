using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>What every piece of a session's refresh needs: who it is, where its tokens are, its clock and its log.</summary>
/// <param name="Name">The HTTP client's name.</param>
/// <param name="StoreKey">The session's key in the store.</param>
/// <param name="Store">The token store.</param>
/// <param name="Time">The clock of every delay and expiry.</param>
/// <param name="Logger">The library's logger.</param>
/// <param name="DPoP">The session's DPoP state (RFC 9449); null: DPoP off.</param>
internal sealed record SessionContext(string Name, string StoreKey, ITokenStore Store, TimeProvider Time, ILogger Logger, DPoPContext? DPoP = null);
