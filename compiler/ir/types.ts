/**
 * Abstract tensor types: what the shape-inference pass computes for every value, before any
 * tensor exists. Layout is NHWC for images (TF.js's native layout).
 *
 * - `image`:  `[batch, height, width, channels]` (also feature maps)
 * - `tokens`: `[batch, count, dim]`
 * - `vector`: `[batch, dim]`
 * - `index`:  integer positions, e.g. I-JEPA masks `[batch, kept]` or `[targets, batch, kept]`
 * - `mask`:   float 0/1 weights, e.g. Style-JEPA token masks `[batch, count]`
 * - `scalar`: `[]`
 */

/** A dimension: a known size, or a symbol such as `"B"` (the batch) or `"Kctx"` (kept context patches). */
export type Dim = number | string;

/** The tensor kinds the type system distinguishes. */
export type TensorKind = 'image' | 'tokens' | 'vector' | 'index' | 'mask' | 'scalar';

/** The type of one tensor value. */
export interface TensorType {
  readonly _tag: 'Tensor';
  readonly kind: TensorKind;
  readonly shape: ReadonlyArray<Dim>;
}

/** A record of named values, e.g. a U-Net encoder's `{ bottleneck, skip1, ... }`. */
export interface StructType {
  readonly _tag: 'Struct';
  readonly fields: Readonly<Record<string, ValueType>>;
}

/** The type of any value in a method graph. */
export type ValueType = TensorType | StructType;

/** The symbolic batch dimension. */
export const BATCH = 'B';

/** Builds a tensor type. */
export const tensor = (kind: TensorKind, shape: ReadonlyArray<Dim>): TensorType => ({
  _tag: 'Tensor',
  kind,
  shape,
});

/** Builds a struct type. */
export const struct = (fields: Readonly<Record<string, ValueType>>): StructType => ({
  _tag: 'Struct',
  fields,
});

/** Renders a type compactly: `vector[B, 256]`, `{ tokens: tokens[B, 6, 256], ... }`. */
export const showType = (t: ValueType): string =>
  t._tag === 'Tensor'
    ? `${t.kind}[${t.shape.join(', ')}]`
    : `{ ${Object.entries(t.fields)
        .map(([k, v]) => `${k}: ${showType(v)}`)
        .join(', ')} }`;
