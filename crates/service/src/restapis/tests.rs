//! The tree's rules as pure functions, without a store.

use certgate_api::Resource;

use super::tree::{clone_tree, shape};

fn resource(id: &str, parent: Option<&str>, part: Option<&str>, path: &str) -> Resource {
    Resource {
        id: Some(id.into()),
        parent_id: parent.map(str::to_string),
        path_part: part.map(str::to_string),
        path: Some(path.into()),
        resource_methods: None,
    }
}

#[test]
fn a_clone_has_fresh_ids_and_the_same_shape() {
    let tree = vec![
        resource("root000000", None, None, "/"),
        resource("aaaaaa", Some("root000000"), Some("pets"), "/pets"),
        resource("bbbbbb", Some("aaaaaa"), Some("{id}"), "/pets/{id}"),
    ];
    let n = std::cell::Cell::new(0);
    let copy = clone_tree(&tree, &|| {
        n.set(n.get() + 1);
        format!("new{:03}", n.get())
    });
    assert_eq!(copy.len(), 3);
    let ids: Vec<_> = copy.iter().filter_map(|r| r.id.clone()).collect();
    assert!(ids.iter().all(|i| i.starts_with("new")), "{ids:?}");
    // Each parent is the copy of the original's parent.
    assert_eq!(copy[1].parent_id, copy[0].id);
    assert_eq!(copy[2].parent_id, copy[1].id);
    assert_eq!(copy[2].path.as_deref(), Some("/pets/{id}"));
}

#[test]
fn without_embed_methods_are_named_only_and_an_empty_map_is_left_out() {
    let mut r = resource("aaaaaa", Some("root000000"), Some("pets"), "/pets");
    let method = certgate_api::Method {
        http_method: Some("GET".into()),
        authorization_type: Some("NONE".into()),
        ..Default::default()
    };
    r.resource_methods = Some([("GET".to_string(), method.clone())].into());
    let bare = shape(&r, false);
    assert_eq!(
        bare.resource_methods.unwrap()["GET"],
        certgate_api::Method::default()
    );
    assert_eq!(shape(&r, true).resource_methods.unwrap()["GET"], method);
    r.resource_methods = Some(Default::default());
    assert_eq!(shape(&r, true).resource_methods, None);
}
