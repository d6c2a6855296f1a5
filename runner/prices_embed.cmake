# Generates a C file holding data/model_prices.json as a byte array (rs_prices_embedded), so the
# library carries its pricing table. Run as: cmake -DIN=<json> -DOUT=<c file> -P prices_embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# ~16 bytes per line keeps the generated file readable in a debugger
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp"
  "/* Generated from data/model_prices.json by runner/prices_embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "const char rs_prices_embedded[] = {\n${bytes}0x00};\n"
  "const size_t rs_prices_embedded_len = ${len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
