//! The real binary: durability across SIGKILL, and a clean exit on SIGTERM.

use super::*;

struct Process {
    child: Child,
    addr: String,
    _stdout: BufReader<ChildStdout>,
}

fn spawn_binary(db: &Path, log: &Path) -> Process {
    let store = format!("sqlite://{}", db.display());
    assert!(store.starts_with("sqlite:///"), "absolute path: {store}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_certgate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--store", &store])
        .env_remove("CERTGATE_MAX_CERTIFICATES_PER_REGION")
        .env_remove("CERTGATE_KEYGEN_THREADS")
        .env("CERTGATE_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn certgate");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    let addr = line
        .trim_end()
        .strip_prefix("certgate listening on http://")
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!(
                "unexpected first line {line:?}; stderr:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        })
        .to_string();
    Process {
        child,
        addr,
        _stdout: stdout,
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_keeps_certificates_across_sigkill_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("certgate.db");
    let mut first = spawn_binary(&db, &dir.path().join("first.log"));
    let client = common::client(
        first.addr.parse().expect("addr"),
        "123456789012",
        "us-east-1",
    );
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let generated = client
        .generate_client_certificate()
        .description("survivor")
        .tags("env", "prod")
        .tags("team", "edge")
        .send()
        .await
        .expect("generate");
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let snap = snapshot!(generated);
    assert!(
        (before..=after).contains(&snap.created),
        "createdDate is now"
    );
    assert_eq!(snap.expires, snap.created + VALIDITY);

    // SIGKILL: no chance to flush anything; an acknowledged generate must be on disk already.
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("wait");
    drop(first);

    let log = dir.path().join("second.log");
    let mut second = spawn_binary(&db, &log);
    let client = common::client(
        second.addr.parse().expect("addr"),
        "123456789012",
        "us-east-1",
    );
    let got = get(&client, &snap.id).await;
    assert_eq!(
        snapshot!(got),
        snap,
        "identical after a SIGKILL and a restart"
    );
    let items = common::list_all(&client).await;
    assert_eq!(items.len(), 1);
    assert_eq!(snapshot!(items[0]), snap);
    let tags = client
        .get_tags()
        .resource_arn(arn("us-east-1", &snap.id))
        .send()
        .await
        .expect("get tags");
    assert_eq!(tags_of(tags.tags()), snap.tags);

    // SIGTERM: a graceful shutdown and exit status 0.
    let pid = second.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = second.child.try_wait().expect("try_wait") {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "certgate did not exit within 15 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        exit.success(),
        "exit status {exit:?} after SIGTERM; stderr:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
