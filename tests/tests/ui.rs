//! Compile-fail cases of the macros: one misuse per file under `ui/fail/`,
//! each expected to give one error spanned at the offending token.
//! (`ui/pending/` holds misuses the macros still accept; they are not run.)

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
}
