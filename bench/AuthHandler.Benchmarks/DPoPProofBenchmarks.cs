using System.Security.Cryptography;
using AuthHandler.Protocol.DPoP.Internal;
using BenchmarkDotNet.Attributes;

namespace AuthHandler.Benchmarks;

/// <summary>
/// Issue 17's goal: a DPoP proof costs at most 1.2× one ES256 signature. The baseline row is the
/// signature alone over a 200-byte payload (about a proof's signing input); the proof row is the
/// whole proof for a resource request (htu with a query to strip, ath, nonce).
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class DPoPProofBenchmarks
{
    private static readonly Uri Target = new("https://api.example.com/v1/items?page=2&size=50");

    // A JWT-sized access token and a nonce like the RFC 9449 §8 example.
    private static readonly string AccessToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9." + new string('x', 600) + ".sig";
    private const string Nonce = "eyJ7S_zG.eyJH0-Z.HX4w-7v";

    private readonly byte[] _payload = new byte[200];
    private readonly byte[] _signature = new byte[64];
    private ECDsa _ecdsa = null!;
    private DPoPKey _key = null!;
    private DPoPProofWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_payload);
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _key = DPoPKey.Create();
        _writer = new DPoPProofWriter(_key, TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ecdsa.Dispose();
        _key.Dispose();
    }

    [Benchmark(Baseline = true, Description = "one ES256 signature (200-byte payload)")]
    public int Es256Signature() =>
        _ecdsa.SignData(_payload, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    [Benchmark(Description = "DPoP proof (htu + ath + nonce)")]
    public string Proof() => _writer.CreateProof(HttpMethod.Get, Target, AccessToken, Nonce);
}
