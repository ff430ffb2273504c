//! Model-local ONNX functions inlined into the graph's node list, so the walk sees plain
//! ops. `torch.onnx.export`'s dynamo exporter (torch 2.1 to 2.4) wraps every module in one
//! (`torch_nn_modules_linear_Linear_fc1_1`, calling `aten_linear`, ...).
//!
//! Iterative, with bounds: functions nest at most [`MAX_DEPTH`] deep and the inlined graph
//! holds at most [`MAX_NODES`] nodes, so a file whose functions call each other in a cycle
//! or double at every level is refused rather than followed.

use std::collections::HashMap;

use super::messages::{Attribute, Function, Node};

/// How deep functions may call functions.
pub const MAX_DEPTH: usize = 16;

/// The most nodes the inlined graph may hold.
pub const MAX_NODES: usize = 100_000;

/// The graph's nodes with every call of a model-local function replaced by the function's
/// body, its tensors renamed apart.
pub fn inline(nodes: &[Node], functions: &[Function]) -> Result<Vec<Node>, String> {
    if functions.is_empty() {
        return Ok(nodes.to_vec());
    }
    let by_id: HashMap<(&str, &str, &str), &Function> = functions
        .iter()
        .map(|f| ((f.domain.as_str(), f.name.as_str(), f.overload.as_str()), f))
        .collect();
    let lookup = |n: &Node| {
        by_id
            .get(&(n.domain.as_str(), n.op.as_str(), n.overload.as_str()))
            .copied()
    };
    // A stack of (node, depth), popped in order: a call's body is pushed in reverse.
    let mut stack: Vec<(Node, usize)> = nodes.iter().rev().map(|n| (n.clone(), 0)).collect();
    let mut out = Vec::new();
    let mut calls = 0usize;
    while let Some((node, depth)) = stack.pop() {
        let Some(function) = lookup(&node) else {
            out.push(node);
            if out.len() > MAX_NODES {
                return Err(format!(
                    "its functions expand to more than {MAX_NODES} nodes"
                ));
            }
            continue;
        };
        if depth >= MAX_DEPTH {
            return Err(format!(
                "function '{}' is called {MAX_DEPTH} levels deep (functions that call each other in a cycle?)",
                function.name
            ));
        }
        calls += 1;
        if stack.len() + function.nodes.len() > MAX_NODES {
            return Err(format!(
                "its functions expand to more than {MAX_NODES} nodes"
            ));
        }
        let body = instantiate(function, &node, calls);
        stack.extend(body.into_iter().rev().map(|n| (n, depth + 1)));
    }
    Ok(out)
}

/// The body of `function` for one `call`: formal inputs and outputs renamed to the call's
/// tensors, every other tensor to a name of its own, attribute references resolved.
fn instantiate(function: &Function, call: &Node, id: usize) -> Vec<Node> {
    let mut names: HashMap<&str, String> = HashMap::new();
    for (k, formal) in function.inputs.iter().enumerate() {
        names.insert(formal, call.inputs.get(k).cloned().unwrap_or_default());
    }
    for (k, formal) in function.outputs.iter().enumerate() {
        names.insert(formal, call.outputs.get(k).cloned().unwrap_or_default());
    }
    let rename = |name: &String| -> String {
        if name.is_empty() {
            return String::new();
        }
        names
            .get(name.as_str())
            .cloned()
            .unwrap_or_else(|| format!("{}#{id}/{name}", function.name))
    };
    function
        .nodes
        .iter()
        .map(|n| Node {
            inputs: n.inputs.iter().map(rename).collect(),
            outputs: n.outputs.iter().map(rename).collect(),
            name: format!("{}/{}", call.name, n.name),
            attributes: n
                .attributes
                .iter()
                .filter_map(|a| resolve(a, call, function))
                .collect(),
            ..n.clone()
        })
        .collect()
}

/// An attribute of a function's node: itself, or for a reference the caller's attribute
/// (else the function's default) under the node's name for it; `None` when neither is set.
fn resolve(a: &Attribute, call: &Node, function: &Function) -> Option<Attribute> {
    if a.ref_attr_name.is_empty() {
        return Some(a.clone());
    }
    call.attributes
        .iter()
        .chain(&function.attribute_defaults)
        .find(|given| given.name == a.ref_attr_name)
        .map(|given| Attribute {
            name: a.name.clone(),
            ref_attr_name: String::new(),
            ..given.clone()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> Node {
        Node {
            op: op.into(),
            name: op.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
            domain: if op.starts_with("f") {
                "local".into()
            } else {
                String::new()
            },
            ..Node::default()
        }
    }

    fn function(name: &str, body: Vec<Node>) -> Function {
        Function {
            name: name.into(),
            domain: "local".into(),
            inputs: vec!["a".into(), "w".into()],
            outputs: vec!["y".into()],
            nodes: body,
            ..Function::default()
        }
    }

    #[test]
    fn calls_are_replaced_by_renamed_bodies() {
        let f = function(
            "f_linear",
            vec![
                node("Transpose", &["w"], &["wt"]),
                node("MatMul", &["a", "wt"], &["y"]),
            ],
        );
        let graph = [
            node("f_linear", &["x", "w1"], &["h"]),
            node("Relu", &["h"], &["r"]),
            node("f_linear", &["r", "w2"], &["out"]),
        ];
        let flat = inline(&graph, &[f]).unwrap();
        let ops: Vec<&str> = flat.iter().map(|n| n.op.as_str()).collect();
        assert_eq!(ops, ["Transpose", "MatMul", "Relu", "Transpose", "MatMul"]);
        assert_eq!(flat[1].inputs[0], "x");
        assert_eq!(flat[1].outputs[0], "h");
        assert_eq!(flat[4].inputs[0], "r");
        assert_eq!(flat[4].outputs[0], "out");
        // Each call's private tensors are its own.
        assert_ne!(flat[0].outputs[0], flat[3].outputs[0]);
        assert_eq!(flat[0].outputs[0], flat[1].inputs[1]);
    }

    #[test]
    fn cycles_and_explosions_are_refused() {
        let cyclic = function("f_self", vec![node("f_self", &["a", "w"], &["y"])]);
        let err = inline(&[node("f_self", &["x", "w"], &["y"])], &[cyclic]).unwrap_err();
        assert!(err.contains("levels deep"), "{err}");
        // Each level calls the next ten times: 10^6 nodes at depth 6.
        let mut fs = Vec::new();
        for level in 0..7 {
            let callee = format!("f{}", level + 1);
            let body = if level == 6 {
                vec![node("Relu", &["a"], &["y"])]
            } else {
                (0..10)
                    .map(|_| node(&callee, &["a", "w"], &["y"]))
                    .collect()
            };
            fs.push(function(&format!("f{level}"), body));
        }
        let err = inline(&[node("f0", &["x", "w"], &["y"])], &fs).unwrap_err();
        assert!(err.contains("more than"), "{err}");
    }

    #[test]
    fn attribute_references_take_the_callers_value() {
        let mut leaky = node("LeakyRelu", &["a"], &["y"]);
        leaky.attributes.push(Attribute {
            name: "alpha".into(),
            ref_attr_name: "slope".into(),
            ..Attribute::default()
        });
        let f = function("f_act", vec![leaky]);
        let mut call = node("f_act", &["x"], &["out"]);
        call.attributes.push(Attribute {
            name: "slope".into(),
            f: Some(0.2),
            ..Attribute::default()
        });
        let flat = inline(&[call], &[f]).unwrap();
        assert_eq!(flat[0].attributes[0].name, "alpha");
        assert_eq!(flat[0].attributes[0].f, Some(0.2));
    }
}
