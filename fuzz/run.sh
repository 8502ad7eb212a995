#!/usr/bin/env bash
# Fuzzes one parser with AFL++ through SharpFuzz.
#
#   fuzz/run.sh <token | www-authenticate | device | metadata> [seconds]   (default 600)
#
# Builds fuzz/AuthHandler.Fuzz (Release) into fuzz/.out/<target>/plain, copies it to
# fuzz/.out/<target>/instrumented and instruments the AuthHandler.dll there with the sharpfuzz
# tool, runs afl-fuzz on fuzz/corpus/<target> for the given time, prints the figures from
# fuzzer_stats and replays every saved crash on the plain build to show its exception and stack
# (the instrumented library only runs under afl-fuzz). Findings go to fuzz/findings/<target>
# (not committed). AUTHHANDLER_FUZZ_EXCEPTIONS=<file> makes the target append each exception it
# lets escape under afl-fuzz to that file.
#
# Needs: afl++ (apt-get install afl++), the SharpFuzz CLI
# (dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0), the .NET 10 SDK.
# Exit code: 0 when no crash and no hang was saved, 1 otherwise, 2 on a usage or setup error.
set -euo pipefail

target="${1:-}"
seconds="${2:-600}"
case "$target" in
  token | www-authenticate | device | metadata) ;;
  *) echo "usage: $0 <token | www-authenticate | device | metadata> [seconds]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.out/$target"
findings="$here/findings/$target"
export PATH="$PATH:$HOME/.dotnet/tools"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for tool in afl-fuzz sharpfuzz dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (see the header of $0)" >&2; exit 2; }
done

# A fresh copy each time: sharpfuzz instruments in place and refuses an instrumented assembly.
rm -rf "$out"
dotnet build "$here/AuthHandler.Fuzz/AuthHandler.Fuzz.csproj" -c Release -o "$out/plain" --nologo -v quiet >/dev/null
cp -a "$out/plain" "$out/instrumented"
# Only the namespaces the targets reach: the parsers and the helpers they call.
sharpfuzz "$out/instrumented/AuthHandler.dll" AuthHandler.Protocol.Internal AuthHandler.Http.Internal

case "$target" in
  www-authenticate) dictionary="$here/dictionaries/www-authenticate.dict" ;;
  *) dictionary="$here/dictionaries/oauth-json.dict" ;;
esac

rm -rf "$findings"
mkdir -p "$findings"

# The target is a managed program, not an afl-instrumented binary (AFL_SKIP_BIN_CHECK); the
# fork server is SharpFuzz's own. Containers often forbid CPU pinning and do not send core
# dumps to a file, hence the other switches. -m none: the .NET runtime reserves far more virtual
# memory than afl's default limit. -t: generous, so runtime start-up is not mistaken for a hang.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
  AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=60000
afl-fuzz -i "$here/corpus/$target" -o "$findings" -x "$dictionary" -m none -t 5000 -V "$seconds" \
  -- "$out/instrumented/AuthHandler.Fuzz" "$target" > "$findings/afl.log" 2>&1 || {
  echo "afl-fuzz failed; the end of $findings/afl.log:" >&2
  tail -n 30 "$findings/afl.log" >&2
  exit 2
}

stats="$findings/default/fuzzer_stats"
echo "== $target: afl-fuzz figures ($stats)"
grep -E '^(start_time|last_update|run_time|execs_done|execs_per_sec|corpus_count|corpus_found|saved_crashes|saved_hangs|stability|bitmap_cvg|edges_found|total_edges)\b' "$stats"

# Seeds that crash are skipped by afl-fuzz and not counted in saved_crashes: report them too.
skipped="$(grep -c 'results in a crash' "$findings/afl.log" || true)"
echo "seeds_that_crashed : $skipped"

crashes=("$findings"/default/crashes/id:*)
hangs=("$findings"/default/hangs/id:*)
status=0
if [ "$skipped" != "0" ]; then
  status=1
fi

if [ -e "${crashes[0]}" ]; then
  echo "== crashes, replayed on the uninstrumented build"
  "$out/plain/AuthHandler.Fuzz" "$target" --replay "${crashes[@]}" || true
  status=1
fi

if [ -e "${hangs[0]}" ]; then
  echo "== hangs (inputs in $findings/default/hangs), replayed on the uninstrumented build"
  for hang in "${hangs[@]}"; do
    timeout 20 "$out/plain/AuthHandler.Fuzz" "$target" --replay "$hang" || echo "still slow or failing: $hang"
  done
  status=1
fi

exit "$status"
