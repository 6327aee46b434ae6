#[bia::message(package = "tree.v1")]
pub struct Leaf {
    pub name: String,
}

#[bia::message(package = "tree.v1")]
pub struct Node {
    pub leaf: Option<Box<Box<Leaf>>>,
}

fn main() {}
