//! `wire_english` is a dependency of this package but nothing in this test
//! binary references it, so it is not linked and its provider is not there:
//! the startup check says so, naming the chain and the `use .. as _` fix.

#[test]
fn a_provider_in_a_crate_nothing_links_is_missing_at_startup() {
    let err = bia::wire::Injector::new().check::<wire_api::Welcome>().unwrap_err();
    assert_eq!(err.reason(), "WIRING");
    assert_eq!(
        err.message(),
        format!(
            "cannot wire `wire_api::Welcome`:\nno provider found for `dyn wire_api::Greeter`\n    needed by `wire_api::Welcome` in provider `new_welcome` (tests/crates/wire-api/src/lib.rs:{})\n  add #[bia::provider] to a constructor of it or supply it (`.supply(value)`); if a crate of the build provides it, make sure the binary links that crate (`use that_crate as _;`)",
            wire_api::NEW_WELCOME_LINE
        )
    );
}
