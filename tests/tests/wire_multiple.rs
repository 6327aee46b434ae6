//! Two crates that cannot see each other both provide `dyn Greeter`: the
//! compiler cannot tell, the startup check does, Wire-style.

use wire_english as _;
use wire_french as _;

#[tokio::test]
async fn two_providers_in_crates_that_do_not_see_each_other_are_reported() {
    let msg = format!(
        "cannot wire `wire_api::Welcome`:\nmultiple bindings for `dyn wire_api::Greeter`\n    current: provider `new_french` (tests/crates/wire-french/src/lib.rs:{})\n    previous: provider `new_english` (tests/crates/wire-english/src/lib.rs:{})\n    needed by `wire_api::Welcome` in provider `new_welcome` (tests/crates/wire-api/src/lib.rs:{})",
        wire_french::PROVIDER_LINE,
        wire_english::PROVIDER_LINE,
        wire_api::NEW_WELCOME_LINE,
    );
    let err = bia::wire::Injector::new().build::<wire_api::Welcome>().await.unwrap_err();
    assert_eq!(err.message(), msg);
    // Supplying the interface settles it (as a test would).
    let welcome = bia::wire::Injector::new()
        .supply_shared::<dyn wire_api::Greeter>(std::sync::Arc::new(wire_french::French))
        .build::<wire_api::Welcome>()
        .await
        .unwrap();
    assert_eq!(welcome.welcome("Ann"), "Bonjour, Ann!");
}
