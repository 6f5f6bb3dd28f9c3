#!/usr/bin/env sh
# Refresh the message catalog after changing user-facing texts (msgids are the Vietnamese texts):
# extract into messages.pot, merge into en/messages.po, translate the new entries, then compile.
set -eu
cd "$(dirname "$0")/../.."
pybabel extract -F webui/babel.cfg -k _ -k gettext --no-location --omit-header -o webui/translations/messages.pot webui
pybabel update -i webui/translations/messages.pot -d webui/translations -D messages --no-fuzzy-matching -w 110
pybabel compile -d webui/translations -D messages --statistics
