# ruff: noqa: E402, B018
# Lesson 07 source (percent format); build with: python tools/build_notebooks.py 07

# %% [markdown]
# # Lesson 7 · Operations as objects
#
# So far you have watched the engine from outside: build a `Value`, call `backward()`, read
# the `.grad`s. In the next lesson you build the engine yourself. This lesson is the step in
# between. You take the operations out as separate objects and chain their derivatives **by
# hand**, so you can see exactly which bookkeeping `backward()` does for you.

# %%
from autodiff_lab import Value
from autodiff_lab.ops import Add, Multiply, Power, Sin, Tanh

# %% [markdown]
# ## An operation has two jobs
#
# Every operation does two things:
#
# * **`forward(inputs)`** computes the output, and *remembers* what it will need later: its
#   inputs, or directly its local partial derivatives.
# * **`backward(incoming_grad)`** gets the gradient of the final result with respect to its
#   output (the *incoming* gradient, $\bar{v}$ from lesson 5). For each input it returns
#   *incoming gradient × local partial*.
#
# Here is multiplication written from scratch. Its local partials are
# $\partial(ab)/\partial a = b$ and $\partial(ab)/\partial b = a$:


# %%
class MyMultiply:
    def forward(self, a, b):
        self.a, self.b = a, b  # remembered for backward
        return a * b

    def backward(self, incoming_grad):
        return incoming_grad * self.b, incoming_grad * self.a


mul = MyMultiply()
print("forward: ", mul.forward(3.0, 4.0))
print("backward:", mul.backward(1.0))

# %% [markdown]
# `autodiff_lab.ops` has one such class for every primitive of the engine: `Add`,
# `Subtract`, `Multiply`, `Divide`, `Power`, `Negate`, `Exp`, `Log`, `Sqrt`, `Abs`, `Tanh`,
# `Sigmoid`, `ReLU`, `Sin`, `Cos`. They read their derivative rules from the same table the
# engine uses. An operation prints what it saw in its last `forward`, including the local
# partials it stored:

# %%
mul = Multiply()
print(mul)
mul.forward(3.0, 4.0)
print(mul)
print("backward(1.0):", mul.backward(1.0))

# %% [markdown]
# ## Chaining by hand: d = a · (b + c)
#
# Build $d = a\cdot(b + c)$ at $a = 2.2$, $b = -1.8$, $c = 0.1$ from two operation objects.
# The forward pass runs them in order:

# %%
add = Add()
mul = Multiply()

e = add.forward(-1.8, 0.1)  # e = b + c
d = mul.forward(2.2, e)  # d = a · e
print("e =", round(e, 4), "  d =", round(d, 4))

# %% [markdown]
# The backward pass runs them in **reverse** order. The last operation gets the incoming
# gradient $\partial d/\partial d = 1$. Whatever it returns for $e$ becomes the incoming
# gradient of the operation that produced $e$:

# %%
grad_a, grad_e = mul.backward(1.0)
grad_b, grad_c = add.backward(grad_e)

print("∂d/∂e =", round(grad_e, 4))
print("∂d/∂a =", round(grad_a, 4), "  ∂d/∂b =", round(grad_b, 4), "  ∂d/∂c =", round(grad_c, 4))

# %% [markdown]
# The engine gets the same numbers:

# %%
a, b, c = Value(2.2), Value(-1.8), Value(0.1)
(a * (b + c)).backward()
grad_a, grad_b, grad_c = (round(value.grad, 4) for value in (a, b, c))
print(f"engine: ∂d/∂a = {grad_a}   ∂d/∂b = {grad_b}   ∂d/∂c = {grad_c}")

# %% [markdown]
# ## A value used more than once
#
# In $z = x\cdot y + x^2$ at $x = 2$, $y = 3$, write $x^2$ as `Multiply()` of $x$ with itself.
# Then $x$ enters the computation **three** times: once in $x\cdot y$ and twice in
# $x\cdot x$. Each use sends back its own gradient, and you have to add them all up. This is
# the bookkeeping that is easiest to forget by hand.

# %%
times_y = Multiply()
square = Multiply()
plus = Add()

x, y = 2.0, 3.0
xy = times_y.forward(x, y)
xx = square.forward(x, x)
z = plus.forward(xy, xx)
print("z =", z)

grad_xy, grad_xx = plus.backward(1.0)
grad_x_from_xy, grad_y = times_y.backward(grad_xy)
grad_x_left, grad_x_right = square.backward(grad_xx)

grad_x = grad_x_from_xy + grad_x_left + grad_x_right
print(f"∂z/∂x = {grad_x_from_xy:g} + {grad_x_left:g} + {grad_x_right:g} = {grad_x:g}")
print(f"∂z/∂y = {grad_y:g}")

# %% [markdown]
# ## Unary operations and powers
#
# A one-input operation's `backward` returns a single number instead of a pair. Here is
# $\sin(x^2)$ from lesson 1 at $x = 1.5$, again with $x^2$ as a product:

# %%
square, sine = Multiply(), Sin()
x = 1.5
y = sine.forward(square.forward(x, x))

grad_square = sine.backward(1.0)  # cos(x²)
left, right = square.backward(grad_square)  # x is used twice by x · x
print("f(1.5)  =", round(y, 4))
print("f'(1.5) =", round(left + right, 4))

# %% [markdown]
# `Power` is $a^b$ and gives *two* gradients, the second for the exponent,
# $a^b \ln a$. When the exponent is a fixed number like 2 you simply ignore it. Here is
# $e = ((a\cdot b) + a)^2$ at $a = 2$, $b = 3$:

# %%
times, plus, power = Multiply(), Add(), Power()
a, b = 2.0, 3.0
ab = times.forward(a, b)
inner = plus.forward(ab, a)
e = power.forward(inner, 2.0)
print("e =", e)

grad_inner, _ = power.backward(1.0)  # the exponent's gradient is not needed
grad_ab, grad_a_direct = plus.backward(grad_inner)
grad_a_via_ab, grad_b = times.backward(grad_ab)
print("∂e/∂a =", grad_a_direct + grad_a_via_ab, "  ∂e/∂b =", grad_b)

# %% [markdown]
# ## Let a tape do the bookkeeping
#
# Two chores kept coming back: call the `backward`s in reverse order, and add up the
# gradients of values used more than once. Both are mechanical. Record each operation on a
# list (a **tape**) as it runs, together with the names of its inputs and output. Then walk
# the tape backwards and keep a running sum per name:


# %%
class Tape:
    """Records operations as they run; `gradients` replays them backwards."""

    def __init__(self, **inputs):
        self.values = dict(inputs)
        self.records = []  # (operation, input names, output name), in running order

    def run(self, operation, input_names, output_name):
        inputs = [self.values[name] for name in input_names]
        self.values[output_name] = operation.forward(*inputs)
        self.records.append((operation, input_names, output_name))
        return self.values[output_name]

    def gradients(self, output_name):
        grads = {output_name: 1.0}
        for operation, input_names, name in reversed(self.records):
            local = operation.backward(grads.get(name, 0.0))
            if operation.arity == 1:
                local = (local,)
            for input_name, grad in zip(input_names, local):
                grads[input_name] = grads.get(input_name, 0.0) + grad  # add, never overwrite
        return grads


tape = Tape(a=2.2, b=-1.8, c=0.1)
tape.run(Add(), ["b", "c"], "e")
tape.run(Multiply(), ["a", "e"], "d")
grads = tape.gradients("d")
print("d =", round(tape.values["d"], 4))
print({name: round(grad, 4) for name, grad in grads.items()})

# %% [markdown]
# The same tape handles the value used three times without any special care:

# %%
tape = Tape(x=2.0, y=3.0)
tape.run(Multiply(), ["x", "y"], "xy")
tape.run(Multiply(), ["x", "x"], "xx")
tape.run(Add(), ["xy", "xx"], "z")
grads = tape.gradients("z")
print("z =", tape.values["z"], "  ∂z/∂x =", grads["x"], "  ∂z/∂y =", grads["y"])

# %% [markdown]
# Why is the reversed tape always a safe order? The tape lists operations in the order they
# *ran*, and an operation can only run after its inputs exist. Read backwards, every
# operation comes before the operations that produced its inputs, which is exactly the
# reverse topological order of lesson 5.
#
# ## What the engine stores
#
# `Value` does the same thing, with one change: instead of a separate tape, every value
# keeps its own record. It stores the operation that made it, its parents, and the local
# partials computed during the forward pass, just like the `Multiply` object above:

# %%
a, b, c = Value(2.2, label="a"), Value(-1.8, label="b"), Value(0.1, label="c")
e = b + c
d = a * e
e.label, d.label = "e", "d"

print("d.op:            ", d.op.name)
print("d.parents:       ", [parent.label for parent in d.parents])
print("d.local_partials:", [round(partial, 4) for partial in d.local_partials])
print("mul (from above):", [round(partial, 4) for partial in mul.local_partials])

# %% [markdown]
# `backward()` then does what your `Tape.gradients` does. It walks the nodes in reverse
# topological order, multiplies each incoming gradient by the stored local partials and adds
# the products into the parents' `.grad`. In the next lesson you write that engine yourself.
#
# ## Try it
#
# Put a `Tanh()` on top: $y = \tanh(a\cdot(b + c))$. The cell records it on a tape and
# compares the gradients with the engine. Then change the operations or the numbers, for
# example replace `Tanh()` by `Sin()` (and `.tanh()` by `.sin()`). Do the tape and the engine
# still agree?

# %%
tape = Tape(a=0.5, b=-1.0, c=0.4)  # change me
tape.run(Add(), ["b", "c"], "e")
tape.run(Multiply(), ["a", "e"], "d")
tape.run(Tanh(), ["d"], "y")
grads = tape.gradients("y")
print("tape:  ", {name: round(grads[name], 4) for name in ("a", "b", "c")})

a, b, c = (Value(tape.values[name]) for name in ("a", "b", "c"))
(a * (b + c)).tanh().backward()
print("engine:", {"a": round(a.grad, 4), "b": round(b.grad, 4), "c": round(c.grad, 4)})
