use super::*;
use certgate_core::{AccountId, Region};

fn scope() -> Scope {
    Scope {
        account: AccountId::parse("111111111111").expect("account"),
        region: Region::parse("us-east-1").expect("region"),
    }
}

fn resolved(api: &str, stage: &str) -> Arc<Resolved> {
    Arc::new(Resolved::new(
        scope(),
        api.into(),
        stage.into(),
        "d00001".into(),
        Router::compile(&[]),
        BTreeMap::new(),
        Ok(None),
    ))
}

fn kept(stages: &Stages, api: &str, stage: &str) {
    let Lookup::Miss(epoch) = stages.lookup(api, stage, None) else {
        panic!("{api}/{stage} was held already");
    };
    stages.keep(api, stage, None, epoch, Some(resolved(api, stage)));
}

fn hit(stages: &Stages, api: &str, stage: &str) -> bool {
    matches!(stages.lookup(api, stage, None), Lookup::Hit(_))
}

#[test]
fn a_kept_stage_is_held_until_a_change_names_it() {
    let feed = ChangeFeed::always_current();
    let stages = Stages::new(feed.clone());
    kept(&stages, "api1", "prod");
    kept(&stages, "api1", "test");
    kept(&stages, "api2", "prod");
    assert!(hit(&stages, "api1", "prod"));

    feed.publish(ChangeKind::Stage, &scope(), "api1/prod");
    assert!(!hit(&stages, "api1", "prod"));
    assert!(hit(&stages, "api1", "test"));
    feed.publish(ChangeKind::RestApi, &scope(), "api1");
    assert!(!hit(&stages, "api1", "test"));
    assert!(hit(&stages, "api2", "prod"));
    feed.publish_everything();
    assert!(stages.is_empty());
}

#[test]
fn an_absent_stage_is_kept_as_absent_until_it_is_created() {
    let feed = ChangeFeed::always_current();
    let stages = Stages::new(feed.clone());
    let Lookup::Miss(epoch) = stages.lookup("api1", "prod", None) else {
        panic!("empty cache");
    };
    stages.keep("api1", "prod", None, epoch, None);
    assert!(matches!(
        stages.lookup("api1", "prod", None),
        Lookup::Hit(None)
    ));
    feed.publish(ChangeKind::Stage, &scope(), "api1/prod");
    assert!(matches!(
        stages.lookup("api1", "prod", None),
        Lookup::Miss(_)
    ));
}

#[test]
fn a_change_during_the_read_leaves_the_entry_unconfirmed_and_short_lived() {
    let feed = ChangeFeed::always_current();
    let stages = Stages::new(feed.clone());
    let Lookup::Miss(epoch) = stages.lookup("api1", "prod", None) else {
        panic!("empty cache");
    };
    // Another stage changed while this one was read: the read may be older than the change.
    feed.publish(ChangeKind::Stage, &scope(), "api9/prod");
    stages.keep("api1", "prod", None, epoch, Some(resolved("api1", "prod")));
    assert!(hit(&stages, "api1", "prod"), "used at once");
    std::thread::sleep(UNCONFIRMED_TTL + Duration::from_millis(20));
    assert!(!hit(&stages, "api1", "prod"), "read again after the TTL");
}

#[test]
fn a_region_named_by_the_url_is_part_of_the_key() {
    let stages = Stages::new(ChangeFeed::always_current());
    let Lookup::Miss(epoch) = stages.lookup("api1", "prod", Some("eu-west-1")) else {
        panic!("empty cache");
    };
    stages.keep("api1", "prod", Some("eu-west-1"), epoch, None);
    assert!(matches!(
        stages.lookup("api1", "prod", Some("eu-west-1")),
        Lookup::Hit(None)
    ));
    assert!(matches!(
        stages.lookup("api1", "prod", None),
        Lookup::Miss(_)
    ));
}
