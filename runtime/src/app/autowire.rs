//! [`Autowire`]: the App built by the dependency injector.

use std::sync::Arc;

use super::App;
use crate::error::Error;
use crate::wire::Injector;

/// [`App::autowire`]: an [`Injector`] whose root is
/// the [`App`], with the cleanups run when the App stops.
#[derive(Debug, Default)]
#[must_use]
pub struct Autowire(Injector);

impl Autowire {
    pub(crate) fn new() -> Self {
        Autowire(Injector::new())
    }

    /// See [`Injector::supply`].
    pub fn supply<T: Send + 'static>(self, value: T) -> Self {
        Autowire(self.0.supply(value))
    }

    /// See [`Injector::supply_shared`].
    pub fn supply_shared<T: ?Sized + Send + Sync + 'static>(self, value: Arc<T>) -> Self {
        Autowire(self.0.supply_shared(value))
    }

    /// See [`Injector::check`].
    pub fn check(&self) -> Result<(), Error> {
        self.0.check::<App>()
    }

    /// Builds the App; the cleanups run after it stops (or when its start
    /// fails).
    pub async fn build(self) -> Result<App, Error> {
        let (app, cleanups) = self.0.build::<App>().await?.into_parts();
        Ok(app.with_cleanups(cleanups))
    }

    /// Builds the App and runs it until SIGINT/SIGTERM.
    pub async fn run(self) -> Result<(), Error> {
        self.build().await?.run().await
    }
}
