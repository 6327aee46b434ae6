//! A provider in another crate of the workspace is found: `wire_api`'s use
//! case needs `dyn Greeter`, which only `wire_english` provides. Nothing here
//! names `wire_english`'s items, so the binary links it with `use .. as _`.

use wire_english as _;

#[tokio::test]
async fn a_provider_in_a_linked_crate_is_found() {
    let welcome = bia::wire::Injector::new().build::<wire_api::Welcome>().await.unwrap();
    assert_eq!(welcome.welcome("Ann"), "Hello, Ann!");
}
