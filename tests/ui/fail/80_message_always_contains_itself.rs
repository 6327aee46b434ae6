#[bia::message(package = "tree.v1")]
pub struct Node {
    pub name: String,
    pub next: Box<Node>,
}

fn main() {}
