use super::*;
use certgate_core::{AccountId, Region};

fn scope(account: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).expect("account"),
        region: Region::parse("us-east-1").expect("region"),
    }
}

fn kept(text: &str) -> Kept {
    (200, Bytes::from(text.to_string()))
}

#[test]
fn a_kept_answer_is_served_until_its_certificate_changes() {
    let feed = ChangeFeed::always_current();
    let answers = Answers::new(feed.clone());
    let (a, b) = (scope("111111111111"), scope("222222222222"));
    let get = Key::Get("abc123".into());
    let page = Key::Page(None, Some(25));
    for s in [&a, &b] {
        answers.keep(s, get.clone(), answers.epoch(), kept("get"));
        answers.keep(s, page.clone(), answers.epoch(), kept("page"));
    }
    assert_eq!(answers.get(&a, &get), Some(kept("get")));
    // Another certificate of the scope: its Get stays, every page of the scope goes.
    feed.publish(ChangeKind::ClientCertificate, &a, "zzz999");
    assert_eq!(answers.get(&a, &get), Some(kept("get")));
    assert_eq!(answers.get(&a, &page), None);
    feed.publish(ChangeKind::ClientCertificate, &a, "abc123");
    assert_eq!(answers.get(&a, &get), None);
    // The other scope is untouched, until everything may have changed.
    assert_eq!(answers.get(&b, &page), Some(kept("page")));
    feed.publish_everything();
    assert_eq!(answers.get(&b, &get), None);
    assert_eq!(answers.held.read().expect("held").bytes, 0);
}

#[test]
fn an_answer_read_before_a_write_was_announced_is_not_kept() {
    let feed = ChangeFeed::always_current();
    let answers = Answers::new(feed.clone());
    let a = scope("111111111111");
    let get = Key::Get("abc123".into());
    let before = answers.epoch();
    // The write ends and is announced while the read is still encoding what it read.
    feed.publish(ChangeKind::ClientCertificate, &a, "abc123");
    answers.keep(&a, get.clone(), before, kept("stale"));
    assert_eq!(answers.get(&a, &get), None);
    answers.keep(&a, get.clone(), answers.epoch(), kept("fresh"));
    assert_eq!(answers.get(&a, &get), Some(kept("fresh")));
}

#[test]
fn only_certificate_reads_have_keys() {
    use certgate_api::{DeleteClientCertificateRequest, GetClientCertificateRequest};
    let get = Operation::GetClientCertificate(GetClientCertificateRequest {
        client_certificate_id: "abc123".into(),
    });
    assert_eq!(Key::of(&get), Some(Key::Get("abc123".into())));
    let delete = Operation::DeleteClientCertificate(DeleteClientCertificateRequest {
        client_certificate_id: "abc123".into(),
    });
    assert_eq!(Key::of(&delete), None);
}
