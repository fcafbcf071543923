//! The SDK's paginator (`into_paginator()`) over a long list: 130 certificates, quota raised, in
//! pages of 7.

use super::*;

const COUNT: usize = 130;
const PAGE: i32 = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn into_paginator_walks_every_page_of_a_long_list() {
    let server = Server::with_quota(COUNT as u32 + 10).await;
    let client = server.client_as("123456789012", "sa-east-1");
    let generated: BTreeSet<String> = generate_many(&client, COUNT).await.into_iter().collect();
    assert_eq!(generated.len(), COUNT);

    let pages: Vec<_> = client
        .get_client_certificates()
        .into_paginator()
        .page_size(PAGE)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every page");
    let sizes: Vec<usize> = pages.iter().map(|p| p.items().len()).collect();
    let full = COUNT / PAGE as usize;
    let mut expected = vec![PAGE as usize; full];
    expected.push(COUNT % PAGE as usize);
    assert_eq!(sizes, expected);
    assert_eq!(pages.last().and_then(|p| p.position()), None);

    let seen: Vec<String> = pages
        .iter()
        .flat_map(|p| p.items())
        .map(|c| c.client_certificate_id().expect("id").to_string())
        .collect();
    assert_eq!(seen.len(), COUNT, "no certificate twice");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "pages come in id order"
    );
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), generated);

    // The item paginator flattens the same pages.
    let items = client
        .get_client_certificates()
        .into_paginator()
        .page_size(PAGE)
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every item");
    assert_eq!(items.len(), COUNT);
}
