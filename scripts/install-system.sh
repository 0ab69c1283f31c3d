#!/usr/bin/env bash
# Installs the Debian packages reportdb needs, if any is missing:
# Python with venv, Tesseract with the Simplified-Chinese model, the WenQuanYi
# CJK fonts (the fixture generator embeds them in PDFs), poppler's tools,
# Chromium (headless, for the review site's browser test), LibreOffice Writer
# without a GUI (converts .doc/.wps to .docx: ocr/office.py), and what pip needs to
# build tesserocr against this Tesseract (its library held in each OCR worker).
# Runs apt-get only when something is missing (needs root for that), then prints what
# is installed.
set -euo pipefail

PKGS=(tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng fonts-wqy-zenhei fonts-wqy-microhei poppler-utils
      # 宋体- and 楷体-like faces for the office-suite fixtures (fixtures/office.py): documents
      # typeset by LibreOffice in the fonts offices use, not only in the generator's own
      fonts-arphic-uming fonts-arphic-ukai
      chromium  # chromium: the review site is tested in a real headless browser
      libreoffice-writer-nogui  # .doc/.wps → .docx; Debian 12: 84 MB download, 259 MB installed
      # tesserocr is built from source against Debian's libtesseract (the Makefile asks pip
      # for no binary): its wheel carries a newer Tesseract that reads differently from the
      # command the benchmark compares with; building takes about 25 s
      libtesseract-dev libleptonica-dev pkg-config g++)
if ! command -v python3 >/dev/null 2>&1; then
  PKGS+=(python3 python3-venv python3-pip python3-dev)
else
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || PKGS+=(python3-venv python3-pip)
  # the headers of the Python that builds the venv (Debian's python3 has them in python3-dev)
  python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    >/dev/null 2>&1 || PKGS+=(python3-dev)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      echo "error: missing packages (${missing[*]}) and not root; run as root or install them" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian side is not pinned (Debian's archive keeps one version per release), so
# what is installed is written into the run's log instead: a reading can then be traced
# to the Tesseract, language files, LibreOffice and Chromium that made it.
# `reportdb --version` prints the same from inside the program.
echo "system packages:"
dpkg-query -W -f='  ${Package} ${Version}\n' tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng \
  libtesseract5 libleptonica-dev libreoffice-writer-nogui chromium poppler-utils fonts-wqy-zenhei \
  fonts-arphic-uming fonts-arphic-ukai 2>/dev/null || true
tessdata=$(tesseract --list-langs 2>&1 | sed -n 's/.*"\(.*\)".*/\1/p' | head -1)
for lang in chi_sim eng osd; do
  f="${tessdata:-/usr/share/tesseract-ocr/5/tessdata}/$lang.traineddata"
  [ -f "$f" ] && echo "  $lang.traineddata sha256:$(sha256sum "$f" | cut -d' ' -f1)"
done
echo "  $(tesseract --version 2>&1 | head -1)"
echo "  $(python3 --version 2>&1)"
