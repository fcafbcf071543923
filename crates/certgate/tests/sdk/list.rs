//! GetClientCertificates.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_of_an_empty_scope_is_one_empty_page() {
    let server = Server::start().await;
    let page = server
        .client()
        .get_client_certificates()
        .send()
        .await
        .expect("list");
    assert!(page.items().is_empty());
    assert_eq!(page.position(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_chained_by_position_cover_every_certificate_once() {
    let server = Server::start().await;
    let client = server.client();
    let generated: BTreeSet<String> = generate_many(&client, 30).await.into_iter().collect();
    assert_eq!(generated.len(), 30);

    // limit 7: pages of 7, 7, 7, 7, 2, chained by position; only the last has none.
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client
            .get_client_certificates()
            .limit(7)
            .set_position(position.clone())
            .send()
            .await
            .expect("page");
        sizes.push(page.items().len());
        for c in page.items() {
            seen.push(c.client_certificate_id().unwrap().to_string());
        }
        match page.position() {
            Some(p) => position = Some(p.to_string()),
            None => break,
        }
        assert!(sizes.len() < 10, "pagination does not end: {sizes:?}");
    }
    assert_eq!(sizes, [7, 7, 7, 7, 2]);
    assert_eq!(seen.len(), 30, "no certificate twice");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), generated);

    // The default page size is 25.
    let first = client.get_client_certificates().send().await.expect("list");
    assert_eq!(first.items().len(), 25);
    let position = first.position().expect("a position after a full page");
    let second = client
        .get_client_certificates()
        .position(position)
        .send()
        .await
        .expect("list");
    assert_eq!(second.items().len(), 5);
    assert_eq!(second.position(), None, "no position on the last page");

    // A page size dividing the count exactly still ends with no position on the last page.
    let mut sizes = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client
            .get_client_certificates()
            .limit(10)
            .set_position(position.take())
            .send()
            .await
            .expect("page");
        sizes.push(page.items().len());
        match page.position() {
            Some(p) => position = Some(p.to_string()),
            None => break,
        }
        assert!(sizes.len() < 10, "pagination does not end: {sizes:?}");
    }
    assert_eq!(sizes, [10, 10, 10]);

    // The largest page holds them all at once.
    let all = client
        .get_client_certificates()
        .limit(500)
        .send()
        .await
        .expect("list");
    assert_eq!(all.items().len(), 30);
    assert_eq!(all.position(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_through_the_sdk_paginator_collects_every_certificate() {
    let server = Server::start().await;
    let client = server.client();
    let mut generated = generate_many(&client, 30).await;
    generated.sort();

    let items = common::list_all(&client).await;
    let mut ids: Vec<String> = items
        .iter()
        .map(|c| c.client_certificate_id().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, generated);

    let small_pages = client
        .get_client_certificates()
        .into_paginator()
        .page_size(7)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("pages");
    let sizes: Vec<usize> = small_pages.iter().map(|p| p.items().len()).collect();
    assert_eq!(sizes, [7, 7, 7, 7, 2]);
    let mut ids: Vec<String> = small_pages
        .iter()
        .flat_map(|p| p.items())
        .map(|c| c.client_certificate_id().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, generated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_limit_out_of_range_is_a_bad_request() {
    let server = Server::start().await;
    let client = server.client();
    for limit in [501, 0, -1] {
        let r = client.get_client_certificates().limit(limit).send().await;
        let e = service_error!(r, GetClientCertificatesError::BadRequestException);
        assert!(
            e.message().unwrap_or_default().contains("limit"),
            "limit {limit}: {e:?}"
        );
    }
    client
        .get_client_certificates()
        .limit(500)
        .send()
        .await
        .expect("500 is allowed");
    client
        .get_client_certificates()
        .limit(1)
        .send()
        .await
        .expect("1 is allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_refuses_a_position_it_did_not_issue() {
    let server = Server::start().await;
    let r = server
        .client()
        .get_client_certificates()
        .position("not a token!")
        .send()
        .await;
    service_error!(r, GetClientCertificatesError::BadRequestException);
}
