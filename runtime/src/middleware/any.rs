//! [`AnyMessage`]: the request or reply of a call as middleware see it,
//! whatever its type.

use std::any::Any;
use std::fmt;

use crate::codec::Message;
use crate::error::Error;

/// What looks at each message of a stream (see [`AnyMessage::inspect_messages`]).
pub(crate) type Inspector = Box<dyn Fn(MessageRef<'_>) -> Result<(), Error> + Send + Sync>;

/// What an [`AnyMessage`] can hold: every [`Message`], the request and
/// response of a hand-written HTTP route, and the ends of a stream.
trait Erased: Any + Send + Sync + fmt::Debug {
    fn type_name(&self) -> &'static str;
    fn json(&self) -> String;
    fn validate(&self) -> Result<(), Error>;
    fn clone_box(&self) -> Option<Box<dyn Erased>>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    /// Has `inspect` look at each message of the stream this holds; `false`
    /// when it holds no stream.
    fn inspect(&mut self, inspect: Inspector) -> bool {
        drop(inspect);
        false
    }
    /// Whether this is an end of a stream, not a message.
    fn is_stream(&self) -> bool {
        false
    }
}

impl<T: Message> Erased for T {
    fn type_name(&self) -> &'static str {
        T::FULL_NAME
    }
    fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("\"<not JSON: {e}>\""))
    }
    fn validate(&self) -> Result<(), Error> {
        Message::validate(self)
    }
    fn clone_box(&self) -> Option<Box<dyn Erased>> {
        Some(Box::new(self.clone()))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// The request or reply of a call, type-erased for middleware.
///
/// ```
/// # #[bia::message(package = "any.v1")] pub struct Hello { pub name: String }
/// use bia::middleware::AnyMessage;
///
/// let m = AnyMessage::new(Hello { name: "Ann".into() });
/// assert_eq!(m.type_name(), "any.v1.Hello");
/// assert_eq!(m.to_json(), r#"{"name":"Ann"}"#);
/// assert_eq!(m.downcast_ref::<Hello>().unwrap().name, "Ann");
/// let hello: Hello = m.downcast().unwrap();
/// assert_eq!(hello.name, "Ann");
/// ```
pub struct AnyMessage(Box<dyn Erased>);

impl fmt::Debug for AnyMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl AnyMessage {
    /// Erases a message.
    pub fn new<T: Message>(msg: T) -> Self {
        Self(Box::new(msg))
    }

    pub(crate) fn raw<T: RawPart>(part: T) -> Self {
        Self(Box::new(RawBox(part)))
    }

    /// The proto full name (`user.v1.GetUserRequest`); `http.Request` and
    /// `http.Response` on hand-written routes.
    pub fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    /// `true` when it holds a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        self.0.as_any().is::<T>()
    }

    /// The message, if it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }

    /// The message, to change, if it is a `T`.
    pub fn downcast_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.0.as_any_mut().downcast_mut()
    }

    /// The message, if it is a `T`; itself otherwise.
    pub fn downcast<T: 'static>(self) -> Result<T, Self> {
        if self.is::<T>() {
            match self.0.into_any().downcast::<T>() {
                Ok(b) => Ok(*b),
                Err(_) => unreachable!("checked by is::<T>()"),
            }
        } else {
            Err(self)
        }
    }

    /// The proto3 JSON of the message (for logs; see the logging
    /// middleware's `Redact` hook to mask secrets).
    pub fn to_json(&self) -> String {
        self.0.json()
    }

    /// Checks the message's `#[validate]` rules.
    pub fn validate(&self) -> Result<(), Error> {
        self.0.validate()
    }

    /// A copy (what a retrying client sends again); `None` for the body of
    /// a hand-written route, which can be read once, and for a stream.
    pub fn try_clone(&self) -> Option<AnyMessage> {
        self.0.clone_box().map(AnyMessage)
    }

    /// When this is the request of a client-streaming or bidirectional call
    /// (its messages come later), has `inspect` look at each of them before
    /// the handler (on a server) or the transport (on a client) gets it: an
    /// error ends the stream with it. `false`, and nothing installed, for
    /// any other request. Middleware installed earlier in the chain look
    /// first.
    ///
    /// ```
    /// use bia::middleware::{AnyMessage, Context, Next};
    ///
    /// /// Refuses empty messages, also inside streams.
    /// #[bia::middleware]
    /// async fn no_empty(ctx: &mut Context, mut req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    ///     fn check(json: String) -> bia::Result<()> {
    ///         if json == "{}" { Err(bia::Error::bad_request("EMPTY", "empty message")) } else { Ok(()) }
    ///     }
    ///     if !req.inspect_messages(|msg| check(msg.to_json())) {
    ///         check(req.to_json())?;
    ///     }
    ///     next.run(ctx, req).await
    /// }
    /// # let _ = no_empty();
    /// ```
    pub fn inspect_messages(
        &mut self,
        inspect: impl Fn(MessageRef<'_>) -> Result<(), Error> + Send + Sync + 'static,
    ) -> bool {
        self.0.inspect(Box::new(inspect))
    }

    /// Whether this is the request of a client-streaming or bidirectional
    /// call, or the reply of a server-streaming or bidirectional one, not a
    /// message.
    pub fn is_stream(&self) -> bool {
        self.0.is_stream()
    }
}

/// One message of a stream, borrowed, as an [`AnyMessage::inspect_messages`]
/// hook sees it.
#[derive(Clone, Copy)]
pub struct MessageRef<'a>(&'a dyn Erased);

impl fmt::Debug for MessageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'a> MessageRef<'a> {
    pub(crate) fn new<T: Message>(msg: &'a T) -> Self {
        Self(msg)
    }

    /// The proto full name (`chat.v1.Note`).
    pub fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    /// The message, if it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&'a T> {
        self.0.as_any().downcast_ref()
    }

    /// Its proto3 JSON.
    pub fn to_json(&self) -> String {
        self.0.json()
    }

    /// Checks its `#[validate]` rules.
    pub fn validate(&self) -> Result<(), Error> {
        self.0.validate()
    }
}

/// What an [`AnyMessage`] holds that is not a message: the request or
/// response of a hand-written route, the ends of a stream.
pub(crate) trait RawPart: Send + Sync + 'static {
    const NAME: &'static str;
    /// An end of a stream, not a message.
    const STREAM: bool = false;
    fn describe(&self) -> String;
    /// See [`Erased::inspect`].
    fn inspect(&mut self, inspect: Inspector) -> bool {
        drop(inspect);
        false
    }
}

struct RawBox<T>(T);

impl<T: RawPart> fmt::Debug for RawBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.describe())
    }
}

impl<T: RawPart> Erased for RawBox<T> {
    fn type_name(&self) -> &'static str {
        T::NAME
    }
    fn json(&self) -> String {
        serde_json::Value::String(self.0.describe()).to_string()
    }
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
    fn clone_box(&self) -> Option<Box<dyn Erased>> {
        None
    }
    fn as_any(&self) -> &dyn Any {
        &self.0
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        &mut self.0
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        Box::new(self.0)
    }
    fn inspect(&mut self, inspect: Inspector) -> bool {
        self.0.inspect(inspect)
    }
    fn is_stream(&self) -> bool {
        T::STREAM
    }
}
