//! Every error one macro run finds, collected in a tree of sinks.
//!
//! A macro keeps going after an error so that one run reports them all, yet a
//! part that failed must not be expanded (its output would only add confusing
//! errors of its own). So the question a part asks is not "are there errors?"
//! but "did *this part*, or anything below it, fail?". Each part gets its own
//! [`ErrorSink`], made as a child of the sink of the part that contains it;
//! an error pushed anywhere marks its sink and every ancestor as failed.
//!
//! The [`ErrorStore`] owns the errors. Whoever runs the macro must take them
//! out with [`ErrorStore::take`] and report them: a store dropped with errors
//! still inside panics, so a forgotten error path fails loudly in tests
//! instead of silently expanding broken input.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// Owns the errors of one macro run and the tree of sinks that collect them.
pub struct ErrorStore {
    state: RefCell<State>,
}

struct State {
    errors: Vec<syn::Error>,
    /// Indexed by sink id.
    sinks: Vec<SinkState>,
}

struct SinkState {
    parent: Option<usize>,
    /// An error was pushed to this sink or to one below it.
    failed: bool,
}

impl State {
    fn add_sink(&mut self, parent: Option<usize>) -> usize {
        self.sinks.push(SinkState { parent, failed: false });
        self.sinks.len() - 1
    }

    fn push(&mut self, id: usize, error: syn::Error) {
        self.errors.push(error);
        let mut at = Some(id);
        // A failed sink's ancestors are failed already, so the walk can stop there.
        while let Some(sink) = at.map(|i| &mut self.sinks[i]).filter(|s| !s.failed) {
            sink.failed = true;
            at = sink.parent;
        }
    }
}

impl ErrorStore {
    pub fn new() -> Self {
        ErrorStore { state: RefCell::new(State { errors: Vec::new(), sinks: Vec::new() }) }
    }

    /// A sink at the top of the tree.
    pub fn sink(&self) -> ErrorSink<'_> {
        let id = self.state.borrow_mut().add_sink(None);
        ErrorSink { state: &self.state, id }
    }

    /// The errors, in the order they were found, for reporting. Taking `self`
    /// means no sink can still be writing.
    pub fn take(mut self) -> Vec<syn::Error> {
        std::mem::take(&mut self.state.get_mut().errors)
    }
}

impl Drop for ErrorStore {
    fn drop(&mut self) {
        let lost = self.state.get_mut().errors.len();
        // Panicking during another panic would abort and hide the first one.
        if lost > 0 && !std::thread::panicking() {
            panic!(
                "bia-macros bug: {lost} error(s) were collected but never reported; \
                 the macro run must take them out with `ErrorStore::take`"
            );
        }
    }
}

/// Where one part of a macro run records its errors.
///
/// Sinks share the store through a `RefCell` rather than `&mut`: parts nest
/// (a service, its methods, each method's routes) and a child must be usable
/// while its parent is still alive. The lifetime ties every sink to the store,
/// so the store cannot be taken while one is still around.
pub struct ErrorSink<'a> {
    state: &'a RefCell<State>,
    id: usize,
}

impl<'a> ErrorSink<'a> {
    /// A sink for a part of this one: its errors count as this sink's too.
    pub fn child(&self) -> ErrorSink<'a> {
        let id = self.state.borrow_mut().add_sink(Some(self.id));
        ErrorSink { state: self.state, id }
    }

    /// Whether an error was pushed to this sink or to any sink below it.
    pub fn has_errors(&self) -> bool {
        self.state.borrow().sinks[self.id].failed
    }

    /// Records an error as it is (a parse error keeps its own spans).
    pub fn push(&self, error: syn::Error) {
        self.state.borrow_mut().push(self.id, error);
    }

    /// Records an error spanning `tokens`.
    pub fn error(&self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error at `span`.
    pub fn error_at(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// `Some(v)` on success; records the error otherwise.
    pub fn ok<T>(&self, res: syn::Result<T>) -> Option<T> {
        res.map_err(|e| self.push(e)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> syn::Error {
        syn::Error::new(Span::call_site(), text)
    }

    #[test]
    fn an_error_marks_its_sink_and_every_ancestor_but_no_sibling() {
        let store = ErrorStore::new();
        {
            let root = store.sink();
            let (method, other) = (root.child(), root.child());
            let route = method.child();
            assert!(!root.has_errors());
            route.push(error("bad route"));
            assert!(route.has_errors() && method.has_errors() && root.has_errors());
            assert!(!other.has_errors());
            let later = method.child();
            assert!(!later.has_errors(), "a new child starts clean");
            later.push(error("second"));
            assert!(method.has_errors());
        }
        let texts: Vec<String> = store.take().iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["bad route", "second"]);
    }

    #[test]
    fn ok_records_the_error_and_keeps_its_text() {
        let store = ErrorStore::new();
        {
            let sink = store.sink();
            assert_eq!(sink.ok(Ok::<_, syn::Error>(3)), Some(3));
            assert!(!sink.has_errors());
            assert_eq!(sink.ok(syn::parse_str::<syn::Ident>("1x")).map(|_| ()), None);
            assert!(sink.has_errors());
        }
        let errors = store.take();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].to_string(), syn::parse_str::<syn::Ident>("1x").unwrap_err().to_string());
    }

    #[test]
    #[should_panic(expected = "never reported")]
    fn dropping_a_store_with_errors_panics() {
        let store = ErrorStore::new();
        store.sink().child().error_at(Span::call_site(), "lost");
        drop(store);
    }

    #[test]
    fn dropping_an_empty_or_emptied_store_is_fine() {
        let store = ErrorStore::new();
        let _ = store.sink().child();
        drop(store);
        let store = ErrorStore::new();
        store.sink().push(error("reported"));
        assert_eq!(store.take().len(), 1);
    }
}
