"""README's "Invoking a stage" flow, run by bash as written: openssl makes a backend certificate,
certgate starts trusting it, the AWS CLI builds an API with an HTTP_PROXY integration to an
`openssl s_server` that demands the generated client certificate, curl is refused before the
certificate is attached and passes after, and passes again after a rotation. Only what a test must change is
changed: the built binary instead of `cargo run --release`, free ports instead of 4566 and 8443,
a wait for the server, the test's own directory, and the background processes stopped at the end."""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest

from certgate_helpers import REPO_ROOT, awscli_env, server_binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the README flow needs the openssl CLI")
def test_readme_invoke_flow_runs_as_written(tmp_path):
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## Invoking a stage", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "update-stage" in script and "s_server" in script and "curl" in script
    api_port, backend_port = free_port(), free_port()
    serve = 'cargo run --release --manifest-path "$repo/Cargo.toml" -- serve'
    assert serve in script
    script = script.replace("/tmp/certgate-demo", str(tmp_path / "demo"))
    script = script.replace(
        serve + " --backend-ca-file backend.pem &",
        f"{server_binary()} serve --listen 127.0.0.1:{api_port} --backend-ca-file backend.pem "
        f"> serve.log 2>&1 &\nfor i in $(seq 100); do curl -sf http://127.0.0.1:{api_port}/_certgate/health"
        " > /dev/null && break; sleep 0.1; done",
    )
    script = script.replace(":4566", f":{api_port}").replace("8443", str(backend_port))
    # s_server needs a moment to listen; then the first curl is the refusal the README shows.
    script = script.replace("-www -quiet & backend=$!\n", "-www -quiet & backend=$!\nsleep 1\n")
    script = "trap 'kill $(jobs -p) 2>/dev/null' EXIT\n" + script
    env = awscli_env(tmp_path, "test")
    env["PATH"] = str(REPO_ROOT / ".venv" / "bin") + ":" + env.get("PATH", "")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True,
                          text=True, timeout=300, cwd=REPO_ROOT)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    before, refusal, after = done.stdout.partition('{"message": "Internal server error"}')
    assert refusal and "HTTP/1.1 500" in before, done.stdout
    assert "x-amzn-errortype: internalservererrorexception" in before.lower()
    assert after.count("Client certificate") == 2, done.stdout
