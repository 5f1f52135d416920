# ruff: noqa: E402, B018
# Lesson 03 source (percent format); build with: python tools/build_notebooks.py 03

# %% [markdown]
# # Lesson 3 · Computational graphs and Wengert lists
#
# In the last lesson you split $\sin^n((2x^2+x+1)^m)$ into layers by hand. An autodiff engine
# does the same splitting automatically, and it goes all the way down: every `+`, every `*`,
# every `sin` becomes a step of its own. This lesson shows the two ways to write those steps
# down: as a list (a *Wengert list*, or *trace*) and as a picture (a *computational graph*).

# %%
from autodiff_lab import Value
from autodiff_lab.display.graph import draw_graph
from autodiff_lab.trace import trace
from autodiff_lab.widgets import TraceStepper

# %% [markdown]
# ## One primitive per line
#
# Take a function of two inputs,
#
# $$f(x_1, x_2) = (x_1 + x_2)\cdot(x_1 x_2).$$
#
# Rewrite it so that each line applies exactly **one** primitive operation to values that
# already exist, and stores the result under a new name:

# %%
x1, x2 = 2, 3

v1 = x1 + x2  # add
v2 = x1 * x2  # multiply
v3 = v1 * v2  # multiply

print("v1 =", v1, "  v2 =", v2, "  f = v3 =", v3)

# %% [markdown]
# That is a **Wengert list**. Nothing is lost by writing a function this way, and two things
# are gained:
#
# * every line is so simple that you know its derivative: for `v2 = x1 * x2` the local
#   partials are $\partial v_2/\partial x_1 = x_2$ and $\partial v_2/\partial x_2 = x_1$;
# * every intermediate value has a name, so a later step can ask for it.
#
# The chain rule then only has to combine these local partials along the list. Forward mode
# walks the list from top to bottom; reverse mode walks it from bottom to top.
#
# ## The primal trace
#
# You don't have to rewrite your functions by hand. `trace` runs a Python function once and
# records every primitive it applies. The traditional names are $v_{1-n}, \dots, v_0$ for the
# $n$ inputs and $v_1, v_2, \dots$ for the operations. The values computed on the way are
# called the **primal** values:


# %%
def f(x1, x2):
    return (x1 + x2) * (x1 * x2)


def print_primal_trace(wengert_list):
    """One line per row: the equation, then the value it computed (rounded)."""
    for row in wengert_list:
        print(f"{row.name:>3} = {row.expression:<10}  →  {round(row.primal, 4):g}")


f_trace = trace(f, 2, 3)
print_primal_trace(f_trace)

# %% [markdown]
# Printed in full, a trace has two more columns, *tangent* and *adjoint*. They hold the
# derivatives that forward mode (lesson 4) and reverse mode (lesson 5) compute, one row at a
# time. For now, look only at the primal column:

# %%
print(f_trace)

# %% [markdown]
# The stepper below shows the order in which the columns fill in, as a preview of lessons 4
# and 5: the forward sweep computes each row's primal and tangent from the top down, then the
# reverse sweep computes each adjoint from the bottom up. Press **Next ▶** or **Play**.

# %%
TraceStepper(f, 2, 3)

# %% [markdown]
# ## The same list as a graph
#
# Draw each value as a box and each operation as a circle, with arrows from the values an
# operation reads to the value it writes: that is the **computational graph**. The engine
# builds it while your code runs. Every `Value` remembers the operation that made it and its
# parents, so a `Value` at the end of a cell draws its whole history:

# %%
x1 = Value(2.0, label="x1")
x2 = Value(3.0, label="x2")
s = x1 + x2
p = x1 * x2
f_value = s * p
s.label, p.label, f_value.label = "s", "p", "f"
f_value

# %% [markdown]
# Read it from left to right and it is the Wengert list again: $s = v_1$, $p = v_2$ and
# $f = v_3$. Each box shows a value's `data` and its `grad`, which stays 0 until a backward
# pass fills it in (lesson 5).
#
# Look at `x1` and `x2`: each has **two** arrows leaving it, because each is used twice. Keep
# that in mind. When derivatives flow backwards through the graph, a value used in two places
# gets a contribution from each place.
#
# The graph and the list hold the same information, so the engine can read its record in the
# right order: `topological_order` lists the nodes so that every node comes after its
# parents, just like the lines of the Wengert list.

# %%
from autodiff_lab.reverse import topological_order

for node in topological_order([f_value]):
    made_by = (
        "input"
        if node.is_leaf
        else f"{node.op.name} of " + ", ".join(parent.label for parent in node.parents)
    )
    print(f"{node.label:>2} = {node.data:<4g} ({made_by})")

# %% [markdown]
# ## A second example: d = a · (b + c)
#
# $$d(a, b, c) = a\cdot(b + c) \quad\text{at}\quad a = 2.2,\ b = -1.8,\ c = 0.1.$$
#
# Its Wengert list has two operations: first $e = b + c = -1.7$, then
# $d = a \cdot e = 2.2 \cdot (-1.7) = -3.74$.


# %%
def d_of(a, b, c):
    return a * (b + c)


print_primal_trace(trace(d_of, 2.2, -1.8, 0.1))

# %% [markdown]
# And as a graph. `draw_graph` takes options when you want a different picture; here the
# graph runs top to bottom and the (still empty) grads are left out:

# %%
a = Value(2.2, label="a")
b = Value(-1.8, label="b")
c = Value(0.1, label="c")
e = b + c
e.label = "e"
d = a * e
d.label = "d"
print("d =", round(d.data, 4))
draw_graph(d, rankdir="TB", show_grad=False)

# %% [markdown]
# ## Constants are leaves, but not inputs
#
# When your code mixes plain numbers into the computation, the engine lifts each one into a
# `Value` of its own, a leaf of the graph. In $g(x) = 3x^2 + 1$ the numbers 3, 2 and 1 each
# get a grey box, the way every drawing shows a constant. Unlike the input $x$, a constant
# gets no gradient: as lesson 2 said, the engine does not differentiate with respect to a
# plain number (make it a `Value` if you want that derivative).

# %%
x = Value(2.0, label="x")
g = 3 * x**2 + 1
g.label = "g"
draw_graph(g, show_grad=False)

# %% [markdown]
# ## Try it
#
# Write a function of three inputs below. Its Wengert list is printed and its graph drawn.
# Before you run the cell, predict: how many rows will the list have, and which inputs will
# have more than one arrow leaving them in the graph?
#
# After lesson 5, [exercise 2](../exercises/release/wengert_list.ipynb) traces a list by hand.


# %%
def my_function(x, y, z):
    return (x * y + z) * (x + z)  # change me


inputs = (1.0, 2.0, 3.0)  # and me

print_primal_trace(trace(my_function, *inputs))

values = [Value(number, label=name) for number, name in zip(inputs, ["x", "y", "z"])]
draw_graph(my_function(*values), show_grad=False)
