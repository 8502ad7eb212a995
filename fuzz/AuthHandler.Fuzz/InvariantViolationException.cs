namespace AuthHandler.Fuzz;

/// <summary>A parser returned normally but broke a property its callers rely on.</summary>
internal sealed class InvariantViolationException : Exception
{
    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static void Check(bool condition, string property)
    {
        if (!condition)
        {
            throw new InvariantViolationException(property);
        }
    }
}
