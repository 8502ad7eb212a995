namespace AuthHandler.Coordination.Internal;

/// <summary>
/// The Lua scripts of the lock and the fenced writes. Each runs atomically on the server, which
/// is what makes "check, then act" safe against another instance acting in between.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS: lock, fence. ARGV: owner id, lease (ms), fence base. Takes the lease if it is free
    /// and returns the new fencing token (always &gt; 0); returns 0 while another owner holds it.
    /// A lease this owner already holds is its own: an earlier attempt that timed out on the
    /// client (Redis frozen) can still have run when Redis resumed, and the retry must not wait
    /// that lease out. A missing counter (a new key, or Redis lost its data) starts from the base,
    /// the caller's clock in milliseconds, so fencing tokens keep growing across a restart without
    /// persistence and a holder from before it cannot meet its own token again.
    /// </summary>
    public const string Acquire = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          local fence = redis.call('GET', KEYS[2])
          if fence then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return tonumber(fence)
          end
          redis.call('DEL', KEYS[1])
        end
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          if redis.call('EXISTS', KEYS[2]) == 0 then
            redis.call('SET', KEYS[2], ARGV[3])
          end
          return redis.call('INCR', KEYS[2])
        end
        return 0
        """;

    /// <summary>KEYS: lock. ARGV: owner id, lease (ms). Extends the lease only for its owner; 1 if it did.</summary>
    public const string Renew = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    /// <summary>KEYS: lock. ARGV: owner id. Deletes the lease only for its owner, never someone else's.</summary>
    public const string Release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    /// <summary>
    /// KEYS: fence, tokens, redeeming. ARGV: fencing token, value, redemption marker ('' for
    /// none). Writes while the fence is still the one this holder got — once a later holder took
    /// the lock, a holder whose lease ran out cannot overwrite what the later one wrote — or while
    /// the marker this holder set before redeeming is still in place: then nobody has redeemed
    /// since, and the late write carries the only tokens the server still honours. A missing
    /// fence means Redis lost its data and nobody has taken the lock since (taking it creates the
    /// fence): the holder's write is then the newest too. 1 if written.
    /// </summary>
    public const string SetIfFenced = """
        local fence = redis.call('GET', KEYS[1])
        if not fence or fence == ARGV[1] or redis.call('GET', KEYS[3]) == ARGV[1] then
          redis.call('SET', KEYS[2], ARGV[2])
          if ARGV[3] == '' then
            redis.call('DEL', KEYS[3])
          else
            redis.call('SET', KEYS[3], ARGV[3])
          end
          return 1
        end
        return 0
        """;
}
