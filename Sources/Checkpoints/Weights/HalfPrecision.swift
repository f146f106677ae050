/// Conversions of 16-bit floats to `Float`, by bit manipulation so they are exact on every platform
/// (Swift's `Float16` is unavailable on macOS on Intel).

/// IEEE 754 binary16 (safetensors `F16`) to `Float`: exact, including subnormals, infinities and NaN
/// (whose payload is kept).
@inline(__always)
public func floatFromFloat16Bits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2⁻²⁴, exactly representable in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return Float(bitPattern: sign | magnitude.bitPattern)
    case 0x1F:
        // Infinity (mantissa 0) or NaN.
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        // Normal: rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

/// bfloat16 (safetensors `BF16`) to `Float`: bfloat16 is the upper half of a `Float`, so this is exact.
@inline(__always)
public func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}
