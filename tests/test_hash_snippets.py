"""docs/hash.md's snippets, run as written in each language's own runtime, make the same
hashes as `billflow_core.user_hash` and `expiring_hash` for identities that trip up a careless
port: upper case, `+` addressing, non-ASCII, a `cus_` id, and a secret that is not ASCII.

Each block is the doc's text, unchanged; a few lines of harness per language call its two
functions with hex-encoded arguments (so no runtime's idea of the command line's encoding can
change the bytes) and print both hashes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from billflow_core import expiring_hash, user_hash

DOC = Path(__file__).resolve().parents[1] / "docs" / "hash.md"
SECRETS = ["snippet-secret-0123456789", "clé-secrète-ünïcode-0123"]
IDENTITIES = ["ada@example.com", "Ada.Lovelace@Example.COM", "ada+billing@example.com",
              "zoë@exämple.de", "山田@例え.jp", "cus_NffrFeUfNV2Hib"]  # fmt: skip
EXPIRES_AT = 1_798_761_600

HARNESS = {
    "python": """
import sys
_s, _e, *_ids = sys.argv[1:]
for _h in _ids:
    _id = bytes.fromhex(_h).decode()
    print(billflow_hash(bytes.fromhex(_s).decode(), _id),
          billflow_expiring_hash(bytes.fromhex(_s).decode(), _id, int(_e)))
""",
    "javascript": """
const [s, e, ...ids] = process.argv.slice(2);
const d = (h) => Buffer.from(h, "hex").toString("utf8");
for (const h of ids) {
  console.log(billflowHash(d(s), d(h)), billflowExpiringHash(d(s), d(h), Number(e)));
}
""",
    "php": """
$a = array_slice($argv, 1);
$s = hex2bin($a[0]);
foreach (array_slice($a, 2) as $h) {
    $id = hex2bin($h);
    echo billflow_hash($s, $id), ' ', billflow_expiring_hash($s, $id, (int) $a[1]), "\\n";
}
""",
    "ruby": """
d = ->(h) { [h].pack("H*").force_encoding("UTF-8") }
s, e = d.(ARGV[0]), Integer(ARGV[1])
ARGV[2..].each { |h| puts "#{billflow_hash(s, d.(h))} #{billflow_expiring_hash(s, d.(h), e)}" }
""",
    "go": """package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
)

func main() {
	d := func(h string) string { b, _ := hex.DecodeString(h); return string(b) }
	e, _ := strconv.ParseInt(os.Args[2], 10, 64)
	for _, h := range os.Args[3:] {
		fmt.Println(Hash(d(os.Args[1]), d(h)), ExpiringHash(d(os.Args[1]), d(h), e))
	}
}
""",
    "java": """
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

public class Main {
    public static void main(String[] a) throws Exception {
        HexFormat hex = HexFormat.of();
        String s = new String(hex.parseHex(a[0]), StandardCharsets.UTF_8);
        for (int i = 2; i < a.length; i++) {
            String id = new String(hex.parseHex(a[i]), StandardCharsets.UTF_8);
            System.out.println(BillflowHash.hash(s, id) + " "
                + BillflowHash.expiringHash(s, id, Long.parseLong(a[1])));
        }
    }
}
""",
}
TESTED = sorted(HARNESS)
# The runtime each needs, and the Debian package the README's test command installs it from.
RUNTIMES = {"python": sys.executable, "javascript": "node", "php": "php", "ruby": "ruby",
            "go": "go", "java": "javac"}  # fmt: skip


def snippets() -> dict[str, list[str]]:
    """Every fenced code block of the doc, by its language tag."""
    found: dict[str, list[str]] = {}
    for language, code in re.findall(r"```(\w+)\n(.*?)```", DOC.read_text(), re.S):
        found.setdefault(language, []).append(code)
    return found


def _run(language: str, code: str, secret: str, work: Path) -> list[str]:
    """What the snippet prints for each identity: its plain and expiring hash."""
    args = [secret.encode().hex(), str(EXPIRES_AT), *(i.encode().hex() for i in IDENTITIES)]
    runtime = shutil.which(RUNTIMES[language]) or RUNTIMES[language]
    if language == "go":
        (work / "hash.go").write_text(code.replace("package billflow", "package main", 1))
        (work / "main.go").write_text(HARNESS["go"])
        command = [runtime, "run", "hash.go", "main.go", *args]
    elif language == "java":
        (work / "BillflowHash.java").write_text(code)
        (work / "Main.java").write_text(HARNESS["java"])
        subprocess.run([runtime, "-d", ".", "BillflowHash.java", "Main.java"], cwd=work,
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        command = [str(Path(runtime).with_name("java")), "-cp", ".", "Main", *args]
    else:
        suffix = {"python": "py", "javascript": "js", "php": "php", "ruby": "rb"}[language]
        script = work / f"snippet.{suffix}"
        script.write_text(code + HARNESS[language])
        command = [runtime, str(script), *args]
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(work),
                               "GOCACHE": str(Path.home() / ".cache" / "go-build"),
                               "GOPATH": str(work / "gopath"), "GOFLAGS": "-mod=mod"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("language", TESTED)
def test_each_snippet_makes_billflows_own_hashes(
    language: str, secret: str, tmp_path: Path
) -> None:
    code = snippets()[language][-1]  # Python's first imports Billflow's; the last stands alone
    printed = _run(language, code, secret, tmp_path)

    assert printed == [
        f"{user_hash(secret, identity)} {expiring_hash(secret, identity, EXPIRES_AT)}"
        for identity in IDENTITIES
    ]


def test_the_doc_says_which_snippets_the_suite_runs() -> None:
    """Every language block is run here, but C#, which no Debian package can run and the
    doc says so; the HTTP example is the bridge's (its own tests cover the route)."""
    found = snippets()
    assert set(found) == {*TESTED, "csharp", "sh", "http"}
    csharp = DOC.read_text().split("## C#", 1)[1].split("\n## ", 1)[0]
    assert "**Not run by the test suite**" in csharp
    for language in TESTED:
        assert shutil.which(RUNTIMES[language]), f"{RUNTIMES[language]}: scripts/test installs it"
