#!/usr/bin/env bash
# The packages as an application gets them: packs AuthHandler, AuthHandler.Redis and
# AuthHandler.CredentialStore (Release) into a temporary folder feed, checks the packages (the
# add-on packages' exact pin on the core version, a 10.x extensions stack, symbols with SourceLink,
# readme, licence), then copies the new console app of tests/PackageConsumer out of the repository,
# restores it from that feed (AuthHandler* only from there; everything else from the machine's NuGet
# sources), builds it with warnings as errors and runs it (without a D-Bus session bus: it must not
# touch the keyring of the machine it runs on). Then builds docs/first-program/Program.cs, exactly as
# it is, in a new console project with only `dotnet add package AuthHandler` (not run: it signs in
# at example.com). Exits non-zero on the first problem; leaves nothing behind.
# Run from anywhere: bash .ci/pack-and-consume.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
started=$SECONDS

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed" app="$work/app" packages="$work/packages"
first="$work/first-program"
mkdir -p "$feed" "$app" "$packages" "$first"

fail() { echo "pack-and-consume: $*" >&2; exit 1; }

# The add-on packs build AuthHandler again through their project references; it is up to date by then.
for project in AuthHandler/AuthHandler.csproj AuthHandler.Redis/AuthHandler.Redis.csproj AuthHandler.CredentialStore/AuthHandler.CredentialStore.csproj; do
  dotnet pack "$repo/src/$project" --configuration Release --output "$feed" -nologo -v:q
done

core=("$feed"/AuthHandler.[0-9]*.nupkg)
[ -f "${core[0]}" ] || fail "no AuthHandler package in $feed"
version="$(basename "${core[0]}" .nupkg)"; version="${version#AuthHandler.}"

ids=(AuthHandler AuthHandler.Redis AuthHandler.CredentialStore)
for id in "${ids[@]}"; do
  nupkg="$feed/$id.$version.nupkg" snupkg="$feed/$id.$version.snupkg"
  [ -f "$nupkg" ] || fail "$id.$version.nupkg was not packed"
  [ -f "$snupkg" ] || fail "$id.$version.snupkg (symbols) was not packed"
  nuspec="$(unzip -p "$nupkg" "$id.nuspec")"
  files="$(unzip -Z1 "$nupkg")"
  for file in "lib/net10.0/$id.dll" "lib/net10.0/$id.xml" README.md; do
    grep -qxF "$file" <<<"$files" || fail "$id: $file is not in the package"
  done
  for element in '<license type="expression">' '<readme>README.md</readme>' '<projectUrl>' '<repository type="git" url="[^"]*"[^>]* commit="[0-9a-f]\{40\}"'; do
    grep -q "$element" <<<"$nuspec" || fail "$id: the nuspec has no $element"
  done
  # A net10.0 library must leave the app on its 10.x extensions stack (or the shared framework's).
  if grep -o '<dependency id="Microsoft\.\(Extensions\|AspNetCore\)\.[^"]*" version="[^"]*"' <<<"$nuspec" | grep -v 'version="\[\?10\.'; then
    fail "$id depends on a Microsoft.Extensions/AspNetCore package outside 10.x (above)"
  fi
  # SourceLink: the .pdb maps the build's source folder to the repository at this commit.
  # (grep reads to the end: a grep -q that stops early would fail unzip with SIGPIPE under pipefail.)
  sourcelink="$(unzip -p "$snupkg" "lib/net10.0/$id.pdb" | grep -a -o '{"documents":{"[^"]*":"https://[^"]*/[0-9a-f]\{40\}/\*"}}' || true)"
  [ -n "$sourcelink" ] || fail "$id: the .pdb in the .snupkg has no SourceLink to a commit"
  if [ "${CI:-}" = true ]; then
    # ContinuousIntegrationBuild: the build machine's folder is not in the .pdb.
    grep -qF '{"documents":{"/_/*"' <<<"$sourcelink" || fail "$id: CI build without deterministic source paths: $sourcelink"
  fi
  if [ "$id" != AuthHandler ]; then
    # The add-ons use AuthHandler's internals, so they take exactly the version built with them.
    grep -qF "<dependency id=\"AuthHandler\" version=\"[$version]\"" <<<"$nuspec" \
      || fail "$id does not depend on exactly AuthHandler [$version]"
  fi
done

# The app: outside the repository, so none of its Directory.*.props, global.json or nuget.config
# apply. Its own packages folder, so no AuthHandler $version cached by an earlier run can stand in
# for this one. Sources: the feed for AuthHandler*, and for the rest the machine's package folder
# (a quick local copy) and its configured sources.
cp "$repo/tests/PackageConsumer/PackageConsumer.csproj" "$repo/tests/PackageConsumer/Program.cs" "$app/"
global_packages="$(cd "$work" && dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')"
mapfile -t machine_sources < <(cd "$work" && dotnet nuget list source --format short | sed -n 's/^E *//p')
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo '  <packageSources>'
  echo '    <clear />'
  echo "    <add key=\"feed\" value=\"$feed\" />"
  echo "    <add key=\"machine-packages\" value=\"$global_packages\" />"
  for i in "${!machine_sources[@]}"; do echo "    <add key=\"machine-$i\" value=\"${machine_sources[$i]}\" />"; done
  echo '  </packageSources>'
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="feed"><package pattern="AuthHandler" /><package pattern="AuthHandler.*" /></packageSource>'
  echo '    <packageSource key="machine-packages"><package pattern="*" /></packageSource>'
  for i in "${!machine_sources[@]}"; do echo "    <packageSource key=\"machine-$i\"><package pattern=\"*\" /></packageSource>"; done
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} >"$app/nuget.config"
cp "$app/nuget.config" "$first/nuget.config"

(
  cd "$app"
  dotnet restore --configfile nuget.config --packages "$packages" -p:AuthHandlerVersion="$version" -nologo -v:q
  dotnet build --no-restore -p:AuthHandlerVersion="$version" -nologo -v:q
)

for id in "${ids[@],,}"; do
  grep -qF "\"source\": \"$feed\"" "$packages/$id/$version/.nupkg.metadata" 2>/dev/null \
    || fail "the app did not get $id $version from the folder feed"
done
python3 - "$app/obj/project.assets.json" <<'EOF' || fail "the app's restore went outside the 10.x extensions stack (above)"
import json, sys
libraries = json.load(open(sys.argv[1]))["libraries"]
stack = [name.split("/") for name in libraries if name.startswith(("Microsoft.Extensions.", "Microsoft.AspNetCore."))]
wrong = [f"{name}/{version}" for name, version in stack if not version.startswith("10.")]
print("\n".join(wrong) if wrong else "the app's extensions stack: " + ", ".join(sorted({version for _, version in stack}, key=lambda v: [int(x) for x in v.split(".")])) + f" ({len(stack)} packages)")
sys.exit(1 if wrong else 0)
EOF

# No session bus: the credential store falls back to the file (in a temporary folder) and no
# keyring of the machine is asked anything.
output="$(env -u DBUS_SESSION_BUS_ADDRESS dotnet "$app/bin/Debug/net10.0/PackageConsumer.dll")" || fail "the app failed: $output"
echo "$output"

# The first program of docs/getting-started.md, as a newcomer builds it: `dotnet new console`
# (this project file, with its defaults), `dotnet add package AuthHandler`, the file as Program.cs.
cp "$repo/docs/first-program/Program.cs" "$first/Program.cs"
cat >"$first/FirstProgram.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="AuthHandler" Version="$version" />
  </ItemGroup>
</Project>
EOF
(
  cd "$first"
  dotnet restore --configfile nuget.config --packages "$packages" -nologo -v:q
  # NU1603: the local package copy may serve a slightly newer transitive version; not the package's fault.
  dotnet build --no-restore -p:TreatWarningsAsErrors=true -p:WarningsNotAsErrors=NU1603 -nologo -v:q
) || fail "docs/first-program/Program.cs does not build against AuthHandler $version (above)"
echo "pack-and-consume: docs/first-program/Program.cs builds against AuthHandler $version with warnings as errors"
echo "pack-and-consume: ${ids[*]} $version packed, restored from the feed, built and run in $((SECONDS - started)) s"
