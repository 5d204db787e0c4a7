fn main() {
    minijinja_embed::embed_templates!("templates");
    // A directory makes cargo rescan everything under it: a new template rebuilds too.
    println!("cargo:rerun-if-changed=templates");
}
