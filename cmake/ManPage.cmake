# Writes a program's man page, or odolog's bash completion, from what the program itself prints,
# so that neither can say something --help does not. Run as a script at build time:
#
#   cmake -DPROG=path [-DEMULATOR=qemu-aarch64;-L;/usr/aarch64-linux-gnu] -DNAME=odolog
#         -DSUMMARY="one line" -DVERSION=0.1.0 -DOUT=odolog.1 [-DCOMMANDS=ON]
#         [-DMODE=completion] -P ManPage.cmake
#
# The page: NAME, SYNOPSIS (the help's first paragraph), DESCRIPTION (the rest, as printed) and,
# with COMMANDS=ON, a COMMANDS section holding 'PROG COMMAND --help' of every command the help
# lists. The text keeps its layout (.nf); roff's special characters are escaped. No date goes in,
# so the same program gives the same page (reproducible builds).
cmake_minimum_required(VERSION 3.25)

function(run out)
  execute_process(COMMAND ${EMULATOR} ${PROG} ${ARGN} OUTPUT_VARIABLE text
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PROG} ${ARGN} exited ${rc}: ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "completion")
  run(script completion bash)
  file(WRITE "${OUT}" "${script}")
  return()
endif()

# Text as roff prints it literally: backslashes, a leading dot or quote, hyphens.
function(roff out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# A block kept as printed, without the blank lines at its ends.
function(as_printed out text)
  string(REGEX REPLACE "^\n+" "" text "${text}")
  string(REGEX REPLACE "\n+$" "" text "${text}")
  roff(text "${text}")
  set(${out} ".nf\n${text}\n.fi\n" PARENT_SCOPE)
endfunction()

run(help --help)
string(FIND "${help}" "\n\n" cut)
string(SUBSTRING "${help}" 0 ${cut} synopsis)
string(SUBSTRING "${help}" ${cut} -1 description)
string(REGEX REPLACE "^usage: " "" synopsis "${synopsis}")
string(TOUPPER "${NAME}" title)
roff(summary "${SUMMARY}")

set(page ".TH ${title} 1 \"\" \"${NAME} ${VERSION}\" \"User Commands\"\n")
string(APPEND page ".SH NAME\n${NAME} \\- ${summary}\n.SH SYNOPSIS\n")
as_printed(text "${synopsis}")
string(APPEND page "${text}.SH DESCRIPTION\n")
as_printed(text "${description}")
string(APPEND page "${text}")

if(COMMANDS)
  # The commands are the lines "  word [word [word]]  description" under "Commands:".
  string(REGEX MATCH "\nCommands:\n(  [^\n]*\n)+" list "${help}")
  string(REGEX MATCHALL "\n  [a-z]+( [a-z]+)?( [a-z]+)?  " commands "${list}")
  string(APPEND page ".SH COMMANDS\n")
  foreach(cmd IN LISTS commands)
    string(STRIP "${cmd}" cmd)
    string(REPLACE " " ";" words "${cmd}")
    run(text ${words} --help)
    # The global options' reminder closes every command's help: said once, in DESCRIPTION.
    string(REGEX REPLACE "\n*Global options:[^\n]*\n*$" "\n" text "${text}")
    string(REGEX REPLACE "^usage: " "" text "${text}")
    as_printed(text "${text}")
    string(APPEND page ".SS ${NAME} ${cmd}\n${text}")
  endforeach()
endif()

string(APPEND page ".SH SEE ALSO\n")
set(others odolog odologd odolog-gateway)
list(REMOVE_ITEM others "${NAME}")
list(TRANSFORM others APPEND "(1)")
list(JOIN others ", " see)
string(REPLACE "-" "\\-" see "${see}")
string(APPEND page "${see}\n")
file(WRITE "${OUT}" "${page}")
