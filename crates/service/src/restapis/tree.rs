//! The resource tree of a REST API and AWS's rules for it: a path is its ancestors' path parts,
//! siblings have different path parts and at most one variable (`{name}`) among them, a greedy
//! variable (`{name+}`) is a leaf, the tree has no cycles and the root keeps its place. Pure
//! functions over the stored `Vec<Resource>`, whose first element is the root.

use std::collections::BTreeMap;

use certgate_api::{Method, Resource, Resources};
use certgate_core::patch::Op;
use certgate_core::{Error, NotFound, Scope};

use super::{page_of, patch, Service};

/// Child resources get six characters, as AWS's do; the root gets an API-length id.
pub(crate) const RESOURCE_ID_LEN: usize = 6;

pub(crate) fn resource_not_found() -> Error {
    Error::not_found(NotFound::Resource)
}

pub(crate) fn find<'t>(tree: &'t [Resource], id: &str) -> Result<&'t Resource, Error> {
    tree.iter()
        .find(|r| r.id.as_deref() == Some(id))
        .ok_or_else(resource_not_found)
}

pub(crate) fn find_mut<'t>(tree: &'t mut [Resource], id: &str) -> Result<&'t mut Resource, Error> {
    tree.iter_mut()
        .find(|r| r.id.as_deref() == Some(id))
        .ok_or_else(resource_not_found)
}

fn is_variable(part: &str) -> bool {
    part.starts_with('{') && part.ends_with('}')
}

fn is_greedy(part: &str) -> bool {
    part.starts_with('{') && part.ends_with("+}")
}

/// AWS's rule for a path part: letters, digits and `._-`, or the same in braces (a path
/// parameter), with an optional `+` before the closing brace (greedy).
fn check_path_part(part: &str) -> Result<(), Error> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    let inner = part
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .map(|p| p.strip_suffix('+').unwrap_or(p));
    if plain(part) || inner.is_some_and(plain) {
        return Ok(());
    }
    Err(Error::bad_request(
        "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end.",
    ))
}

/// Whether `part` may be a child of `parent` among the parent's other children (those other than
/// `moving`): AWS's three refusals.
fn check_place(
    tree: &[Resource],
    parent: &Resource,
    part: &str,
    moving: Option<&str>,
) -> Result<(), Error> {
    if let Some(pp) = parent.path_part.as_deref().filter(|p| is_greedy(p)) {
        return Err(Error::bad_request(format!(
            "Cannot create a child of a resource with a greedy path variable: {pp}"
        )));
    }
    let siblings = tree
        .iter()
        .filter(|r| r.parent_id.is_some() && r.parent_id == parent.id && r.id.as_deref() != moving);
    for sibling in siblings {
        let theirs = sibling.path_part.as_deref().unwrap_or_default();
        if theirs == part {
            return Err(Error::Conflict(format!(
                "Another resource with the same parent already has this name: {part}"
            )));
        }
        if is_variable(part) && is_variable(theirs) {
            return Err(Error::bad_request(format!(
                "A sibling ({theirs}) of this resource already has a variable path part -- only one is allowed"
            )));
        }
    }
    Ok(())
}

/// The path of a child with `part` under a resource of path `base`.
fn child_path(base: Option<&str>, part: &str) -> String {
    match base {
        None | Some("/") => format!("/{part}"),
        Some(p) => format!("{p}/{part}"),
    }
}

/// Recomputes the path of every resource from its parent's, root first.
fn recompute_paths(tree: &mut [Resource]) {
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    let root = tree.first().and_then(|r| r.id.clone()).unwrap_or_default();
    paths.insert(root, "/".into());
    // A tree without cycles settles in at most its depth of passes.
    for _ in 0..tree.len() {
        let mut changed = false;
        for r in tree.iter_mut().skip(1) {
            let (Some(id), Some(parent), Some(part)) = (&r.id, &r.parent_id, &r.path_part) else {
                continue;
            };
            if let Some(base) = paths.get(parent) {
                let path = child_path(Some(base), part);
                if paths.get(id) != Some(&path) {
                    paths.insert(id.clone(), path.clone());
                    changed = true;
                }
                r.path = Some(path);
            }
        }
        if !changed {
            break;
        }
    }
}

/// The ids of `id` and every resource under it.
fn subtree(tree: &[Resource], id: &str) -> Vec<String> {
    let mut out = vec![id.to_string()];
    let mut n = 0;
    while n < out.len() {
        let current = out[n].clone();
        out.extend(
            tree.iter()
                .filter(|r| r.parent_id.as_deref() == Some(current.as_str()))
                .filter_map(|r| r.id.clone()),
        );
        n += 1;
    }
    out
}

/// A copy of `tree` with fresh ids (for CreateRestApi's `cloneFrom`), parents remapped.
pub(crate) fn clone_tree(tree: &[Resource], new_id: &dyn Fn() -> String) -> Vec<Resource> {
    let ids: BTreeMap<String, String> = tree
        .iter()
        .filter_map(|r| r.id.clone())
        .map(|id| (id, new_id()))
        .collect();
    tree.iter()
        .map(|r| {
            let mut r = r.clone();
            r.id = r.id.and_then(|id| ids.get(&id).cloned());
            r.parent_id = r.parent_id.and_then(|id| ids.get(&id).cloned());
            if let Some(methods) = r.resource_methods.as_mut() {
                for m in methods.values_mut() {
                    if let Some(i) = m.method_integration.as_mut() {
                        i.cache_namespace = r.id.clone();
                    }
                }
            }
            r
        })
        .collect()
}

/// The resource as GetResource answers it: without `embed=methods`, each method is an empty
/// object, as AWS answers.
pub(crate) fn shape(resource: &Resource, embed_methods: bool) -> Resource {
    let mut r = resource.clone();
    if !embed_methods {
        r.resource_methods = r.resource_methods.map(|methods| {
            methods
                .into_keys()
                .map(|k| (k, Method::default()))
                .collect()
        });
    }
    if r.resource_methods.as_ref().is_some_and(BTreeMap::is_empty) {
        r.resource_methods = None;
    }
    r
}

fn embeds_methods(embed: Option<&Vec<String>>) -> bool {
    embed.is_some_and(|e| e.iter().any(|v| v == "methods"))
}

impl Service {
    pub async fn get_resources(
        &self,
        scope: &Scope,
        input: certgate_api::GetResourcesRequest,
    ) -> Result<Resources, Error> {
        let loaded = self
            .load_api(scope, &input.rest_api_id, resource_not_found)
            .await?;
        let key = self.page_key().await?;
        let embed = embeds_methods(input.embed.as_ref());
        let mut tree = loaded.tree;
        tree.sort_by(|a, b| a.id.cmp(&b.id));
        let context = format!("resources/{}", input.rest_api_id);
        let (items, position) = page_of(
            key,
            scope,
            &context,
            tree,
            |r| r.id.as_deref().unwrap_or_default(),
            input.position.as_deref(),
            input.limit,
        )?;
        Ok(Resources {
            position,
            items: Some(items.iter().map(|r| shape(r, embed)).collect()),
        })
    }

    pub async fn get_resource(
        &self,
        scope: &Scope,
        input: certgate_api::GetResourceRequest,
    ) -> Result<Resource, Error> {
        let loaded = self
            .load_api(scope, &input.rest_api_id, resource_not_found)
            .await?;
        let resource = find(&loaded.tree, &input.resource_id)?;
        Ok(shape(resource, embeds_methods(input.embed.as_ref())))
    }

    pub async fn create_resource(
        &self,
        scope: &Scope,
        input: certgate_api::CreateResourceRequest,
    ) -> Result<Resource, Error> {
        let part = input.path_part.as_str();
        check_path_part(part)?;
        let quota = self.config.rest_apis.resources_per_api;
        let id = self.ids.short_id(RESOURCE_ID_LEN);
        let (created, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let parent = find(tree, &input.parent_id)?;
                check_place(tree, parent, part, None)?;
                if tree.len() >= quota as usize {
                    return Err(Error::LimitExceeded(format!(
                        "Too many resources: a REST API can have at most {quota} resources"
                    )));
                }
                if tree.iter().any(|r| r.id.as_deref() == Some(id.as_str())) {
                    return Err(Error::internal("a fresh resource id is taken"));
                }
                let resource = Resource {
                    id: Some(id.clone()),
                    parent_id: parent.id.clone(),
                    path_part: Some(part.to_string()),
                    path: Some(child_path(parent.path.as_deref(), part)),
                    resource_methods: None,
                };
                tree.push(resource.clone());
                Ok(resource)
            })
            .await?;
        Ok(created)
    }

    pub async fn update_resource(
        &self,
        scope: &Scope,
        input: certgate_api::UpdateResourceRequest,
    ) -> Result<Resource, Error> {
        let ops = patch::from_model(input.patch_operations);
        let steps = patch::steps(&ops, "updateResourceInput")?;
        let id = input.resource_id.as_str();
        let (updated, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                for step in &steps {
                    patch_resource(tree, id, step)?;
                }
                recompute_paths(tree);
                find(tree, id).map(|r| shape(r, true))
            })
            .await?;
        Ok(updated)
    }

    pub async fn delete_resource(
        &self,
        scope: &Scope,
        rest_api_id: &str,
        id: &str,
    ) -> Result<(), Error> {
        self.change_api(scope, rest_api_id, resource_not_found, |_, tree| {
            let resource = find(tree, id)?;
            if resource.parent_id.is_none() {
                // certgate's choice: AWS records no answer for deleting the root.
                return Err(Error::bad_request("Root resource cannot be deleted."));
            }
            let gone = subtree(tree, id);
            tree.retain(|r| r.id.as_ref().is_none_or(|i| !gone.contains(i)));
            Ok(())
        })
        .await?;
        Ok(())
    }
}

const RESOURCE_PATHS: &str = "[/parentId, /pathPart]";

fn patch_resource(tree: &mut [Resource], id: &str, step: &patch::Step<'_>) -> Result<(), Error> {
    let path = step.path;
    if path != "/parentId" && path != "/pathPart" {
        return Err(Error::bad_request(format!(
            "Invalid patch path  '{path}' specified for op '{}'. Must be one of: {RESOURCE_PATHS}",
            step.op.as_str()
        )));
    }
    if step.op != Op::Replace {
        return Err(Error::bad_request(format!(
            "Invalid patch path  '{path}' specified for op '{}'. Please choose supported operations",
            step.op.as_str()
        )));
    }
    let resource = find(tree, id)?.clone();
    if resource.parent_id.is_none() {
        let what = path.trim_start_matches('/');
        return Err(Error::bad_request(format!(
            "Root resource cannot update its {what}."
        )));
    }
    let value = step.text();
    if path == "/pathPart" {
        check_path_part(value)?;
        let parent = find(tree, resource.parent_id.as_deref().unwrap_or_default())?;
        check_place(tree, parent, value, Some(id))?;
        find_mut(tree, id)?.path_part = Some(value.to_string());
    } else {
        let parent = find(tree, value)?;
        if subtree(tree, id).iter().any(|i| i == value) {
            return Err(Error::bad_request("Resources cannot be cyclical."));
        }
        let part = resource.path_part.as_deref().unwrap_or_default();
        check_place(tree, parent, part, Some(id))?;
        find_mut(tree, id)?.parent_id = Some(value.to_string());
    }
    Ok(())
}
