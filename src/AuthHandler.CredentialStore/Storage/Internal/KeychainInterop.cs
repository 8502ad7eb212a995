using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// The few CoreFoundation and Security.framework calls that a generic-password Keychain item
/// needs (SecItemAdd, SecItemCopyMatching, SecItemUpdate, SecItemDelete), source-generated
/// (<see cref="LibraryImportAttribute"/>) so that it works under NativeAOT. Every CF object
/// created here is released by its creator.
/// </summary>
[SupportedOSPlatform("macos")]
internal static partial class KeychainInterop
{
    public const int Success = 0;
    public const int ItemNotFound = -25300;
    public const int DuplicateItem = -25299;
    public const int InteractionNotAllowed = -25308;
    public const int AuthFailed = -25293;
    public const int NoSuchKeychain = -25294;
    public const int NotAvailable = -25291;
    public const int UserCanceled = -128;

    private const string CoreFoundationLibrary = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation";
    private const string SecurityLibrary = "/System/Library/Frameworks/Security.framework/Security";

    private static readonly Lazy<Symbols> Loaded = new(Symbols.Load);

    public static Symbols Constants => Loaded.Value;

    [LibraryImport(SecurityLibrary)]
    public static partial int SecItemCopyMatching(IntPtr query, out IntPtr result);

    [LibraryImport(SecurityLibrary)]
    public static partial int SecItemAdd(IntPtr attributes, IntPtr result);

    [LibraryImport(SecurityLibrary)]
    public static partial int SecItemUpdate(IntPtr query, IntPtr attributesToUpdate);

    [LibraryImport(SecurityLibrary)]
    public static partial int SecItemDelete(IntPtr query);

    [LibraryImport(CoreFoundationLibrary)]
    public static partial void CFRelease(IntPtr value);

    [LibraryImport(CoreFoundationLibrary)]
    public static partial IntPtr CFDataGetBytePtr(IntPtr data);

    [LibraryImport(CoreFoundationLibrary)]
    public static partial nint CFDataGetLength(IntPtr data);

    [LibraryImport(CoreFoundationLibrary)]
    private static unsafe partial IntPtr CFDataCreate(IntPtr allocator, byte* bytes, nint length);

    [LibraryImport(CoreFoundationLibrary)]
    private static unsafe partial IntPtr CFStringCreateWithCharacters(IntPtr allocator, char* characters, nint length);

    [LibraryImport(CoreFoundationLibrary)]
    private static unsafe partial IntPtr CFDictionaryCreate(IntPtr allocator, IntPtr* keys, IntPtr* values, nint count, IntPtr keyCallBacks, IntPtr valueCallBacks);

    public static unsafe IntPtr CreateData(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* pointer = bytes)
        {
            return CFDataCreate(IntPtr.Zero, pointer, bytes.Length);
        }
    }

    public static unsafe IntPtr CreateString(string value)
    {
        fixed (char* pointer = value)
        {
            return CFStringCreateWithCharacters(IntPtr.Zero, pointer, value.Length);
        }
    }

    /// <summary>A dictionary that retains its keys and values (the kCFType callbacks).</summary>
    public static unsafe IntPtr CreateDictionary(ReadOnlySpan<IntPtr> keys, ReadOnlySpan<IntPtr> values)
    {
        fixed (IntPtr* keyPointer = keys)
        fixed (IntPtr* valuePointer = values)
        {
            return CFDictionaryCreate(IntPtr.Zero, keyPointer, valuePointer, keys.Length, Loaded.Value.KeyCallBacks, Loaded.Value.ValueCallBacks);
        }
    }

    public static byte[] CopyBytes(IntPtr data)
    {
        var bytes = new byte[(int)CFDataGetLength(data)];
        Marshal.Copy(CFDataGetBytePtr(data), bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>The framework's exported constants (CFStringRef globals and the callback structs).</summary>
    internal sealed class Symbols
    {
        public IntPtr KeyCallBacks { get; private init; }

        public IntPtr ValueCallBacks { get; private init; }

        public IntPtr BooleanTrue { get; private init; }

        public IntPtr Class { get; private init; }

        public IntPtr ClassGenericPassword { get; private init; }

        public IntPtr AttributeService { get; private init; }

        public IntPtr AttributeAccount { get; private init; }

        public IntPtr AttributeLabel { get; private init; }

        public IntPtr ValueData { get; private init; }

        public IntPtr ReturnData { get; private init; }

        public IntPtr MatchLimit { get; private init; }

        public IntPtr MatchLimitOne { get; private init; }

        public IntPtr UseAuthenticationUI { get; private init; }

        public IntPtr UseAuthenticationUIFail { get; private init; }

        public static Symbols Load()
        {
            var coreFoundation = NativeLibrary.Load(CoreFoundationLibrary);
            var security = NativeLibrary.Load(SecurityLibrary);
            return new Symbols
            {
                // The callback structs are passed by address; the others are CFTypeRef globals, read once.
                KeyCallBacks = NativeLibrary.GetExport(coreFoundation, "kCFTypeDictionaryKeyCallBacks"),
                ValueCallBacks = NativeLibrary.GetExport(coreFoundation, "kCFTypeDictionaryValueCallBacks"),
                BooleanTrue = Read(coreFoundation, "kCFBooleanTrue"),
                Class = Read(security, "kSecClass"),
                ClassGenericPassword = Read(security, "kSecClassGenericPassword"),
                AttributeService = Read(security, "kSecAttrService"),
                AttributeAccount = Read(security, "kSecAttrAccount"),
                AttributeLabel = Read(security, "kSecAttrLabel"),
                ValueData = Read(security, "kSecValueData"),
                ReturnData = Read(security, "kSecReturnData"),
                MatchLimit = Read(security, "kSecMatchLimit"),
                MatchLimitOne = Read(security, "kSecMatchLimitOne"),
                UseAuthenticationUI = Read(security, "kSecUseAuthenticationUI"),
                UseAuthenticationUIFail = Read(security, "kSecUseAuthenticationUIFail"),
            };
        }

        private static IntPtr Read(IntPtr library, string name) => Marshal.ReadIntPtr(NativeLibrary.GetExport(library, name));
    }
}
