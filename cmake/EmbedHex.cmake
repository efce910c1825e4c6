# Shared by the embedding scripts (EmbedSql.cmake, EmbedFiles.cmake): a file's bytes as a C
# initialiser, sixteen hex bytes a line, NUL-terminated, so that no character needs escaping.
#   odo_hex_array(<file> <out-var>)
function(odo_hex_array file out)
  file(READ "${file}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" hex "${hex}")
  set(${out} "${hex}0x00" PARENT_SCOPE)
endfunction()

# Writes body to path only when it changed, so an unchanged set does not rebuild its users.
function(odo_write_if_changed path body)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL body)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${body}")
endfunction()
