//! What the families share, split the way a family is: `parse` (the
//! arguments several macros take, doc comments, nested attribute lists),
//! `model` (the `crate` path, proto names, packages, tags and codecs, and the
//! qualifiers a plain function may not have) and `expand` (derives a user did
//! not write, the proto name guard, stripping inert attributes).

pub mod expand;
pub mod model;
pub mod parse;
