//! Compile-fail cases of the macros: one misuse per file under `ui/fail/`,
//! each expected to give one error spanned at the offending token.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
}
