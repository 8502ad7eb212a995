namespace AuthHandler.Fuzz;

/// <summary>
/// One fuzz target: feeds <paramref name="input"/> to a parser. Returning normally means the
/// parser behaved; any exception that escapes is a crash (AFL++ saves the input).
/// </summary>
/// <param name="input">The bytes AFL++ produced.</param>
internal delegate void FuzzTarget(ReadOnlySpan<byte> input);
