#!/usr/bin/env python3
"""Derive config/places.belarus.json from the shared Belarus gazetteer.

Source: ../shared/gazetteers/belarus-toponyms.json (chubrik/Toponym, MIT licence, (c) 2016 Arkadi
Chubrik; the licence text is copied into the output's ``licence`` field). Only cities (type 11) and
towns (type 14) are kept: hamlet and village names collide with common words and with places
elsewhere. From each place's Russian and Belarusian names this script generates:

* Cyrillic patterns (Russian, Belarusian, a Ukrainian spelling) with case endings (``~``);
* Latin patterns: the gazetteer's English name, BGN/PCGN romanisations of the Russian and the
  Belarusian name, the Belarusian national romanisation (close to Łacinka), plus Polish and German
  exonyms for the larger cities (``EXONYMS``);
* Łacinka and historical names (Miensk, Bieraście, Harodnia, Vorša, Połacak...) from an explicit
  table (``HISTORICAL``); those that are also ordinary words or surnames are guarded
  (``GUARDED_HISTORICAL``: the variant needs other Belarus evidence).

Names that are also common words (Ветка = branch, Мосты = bridges) are dropped; names that are also
surnames or places abroad (Lida, Borisov, Brest in France) are kept but marked: ``requires_belarus``
(counted only when the article is about Belarus on other evidence) or ``unless`` a counter-context.

Usage: python scripts/build_places.py [--source PATH] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "gazetteers" / "belarus-toponyms.json"
DEFAULT_OUTPUT = ROOT / "config" / "places.belarus.json"
KEEP_TYPES = {11: "city", 14: "town"}

# Outside Belarus (the gazetteer's map covers border areas of Lithuania, Poland, Russia, Ukraine).
FOREIGN = {
    "Адутишкис",
    "Вильча",
    "Влодава",
    "Девянишкес",
    "Злынка",
    "Тересполь",
    "Тверечюс",
    "Шальчининкай",
    "Шумскас",
    "Эйшишкес",
    "Заболотье",
}
# Also ordinary words in Russian/Belarusian/Ukrainian (or too common abroad): never matched.
COMMON_WORDS = {
    "Барань",
    "Берёза",
    "Берёзовка",
    "Высокое",
    "Глубокое",
    "Горки",
    "Городок",
    "Дружный",
    "Иваново",
    "Кировск",
    "Корма",
    "Крупки",
    "Лесной",
    "Мосты",
    "Октябрьский",
    "Ветка",
    "Узда",
    "Червень",
    "Красносельский",
    "Круглое",
    "Дзержинск",
    "Столбцы",
    "Гатово",
}
# Latin-only forms for dropped names that matter (prisons) and are unambiguous in Latin script.
LATIN_ONLY = {"Глубокое": ["hlybokaye", "hlybokae"], "Горки": ["horki"]}
# Also surnames, first names or towns in Russia/Ukraine/Poland: need other Belarus evidence.
AMBIGUOUS = {
    "Лида",
    "Борисов",
    "Кобрин",
    "Слоним",
    "Туров",
    "Любань",
    "Славгород",
    "Каменец",
    "Светлогорск",
    "Краснополье",
    "Свислочь",
    "Вороново",
    "Речица",
    "Быхов",
    "Кричев",
    "Дубровно",
    "Островец",
    "Дрогичин",
    "Миоры",
}
# Brest is also a French port and football club.
UNLESS = {"Брест": ["france_context"]}
# Belarusian names that, once ё is folded to е, are a common Russian word (Мёры -> меры = measures):
# matched only as written with a capital letter.
CASE_SENSITIVE_BE = {"Миоры"}
# Belarusian names missing from the gazetteer.
BE_FIX = {"Минск": "Мінск"}

# Canonical English names (Wikipedia titles) and extra Latin/Polish/German/Ukrainian forms.
EXONYMS: dict[str, tuple[str, list[str]]] = {
    "Минск": ("Minsk", ["minsker", "mińsk{i,a,ie,iego,iej,im}", "minsk~", "mińsk~", "minsku"]),
    "Гродно": (
        "Grodno",
        [
            "гродненск*",
            "гарадзенск*",
            "гродзенск*",
            "гродненськ*",
            "grodzieńsk*",
            "hrodziensk*",
            "grodn~",
            "hrodn~",
            "горадн~",
            "grodnie",
        ],
    ),
    "Гомель": (
        "Gomel",
        [
            "гомельск*",
            "гомельськ*",
            "homielsk*",
            "homelsk*",
            "gomel~",
            "homel~",
            "homiel~",
            "homyel~",
            "homl{a,u,em}",
            "гомл{я,і,ем}",
        ],
    ),
    "Могилёв": (
        "Mogilev",
        [
            "могилевск*",
            "магілеуск*",
            "могильовськ*",
            "mahilov{ie,a,u}",
            "mohylewsk*",
            "mahilousk*",
            "mogilev~",
            "mogilyov~",
            "mahilyow~",
            "mahiliou~",
            "mahilou~",
            "mohylew~",
            "mohylewie",
            "mogiljow~",
            "могильов~",
        ],
    ),
    "Витебск": ("Vitebsk", ["віцебск*", "vitebsk~", "viciebsk~", "vitsyebsk~", "witebsk~", "вітебськ~"]),
    "Брест": (
        "Brest",
        ["brest~", "brześć", "brześci{a,u}", "берасц{е,і,я}", "brzesc~", "брэсц{е,і}", "брестск*", "брэсцк*"],
    ),
    "Бобруйск": ("Babruysk", ["babruysk~", "bobruisk~", "bobrujsk~", "babrujsk~", "bobruysk~", "бобруйськ~"]),
    "Барановичи": (
        "Baranavichy",
        ["baranavichy", "baranovichi", "baranowicz{e,ach}", "baranowitschi", "баранавічах", "барановичах"],
    ),
    "Борисов": ("Barysaw", ["barysaw", "borisov~", "borysow", "borysowie", "borissow"]),
    "Пинск": ("Pinsk", ["pinsk~", "pińsk~", "пінськ~"]),
    "Орша": ("Orsha", ["orsha", "orsza", "orszy", "orscha", "орш{а,е,ы,у,ой,і}", "аршанск*", "оршанск*"]),
    "Мозырь": ("Mazyr", ["mazyr~", "mozyr~", "mozyrz~", "мозир~"]),
    "Солигорск": ("Salihorsk", ["salihorsk~", "soligorsk~", "солігорськ~"]),
    "Новополоцк": (
        "Navapolatsk",
        ["navapolatsk~", "novopolotsk~", "nowopołock~", "nowopolozk", "новополоцьк~"],
    ),
    "Полоцк": ("Polotsk", ["polotsk~", "polatsk~", "połock~", "polozk", "полоцьк~"]),
    "Лида": ("Lida", ["lida", "lidzie", "lid{y,e,u}", "лід{а,ы,зе,у}", "лид{а,ы,е,у,ой}"]),
    "Молодечно": ("Maladzyechna", ["maladzyechna", "molodechno", "mołodeczn{o,ie}", "molodetschno"]),
    "Жодино": ("Zhodzina", ["zhodzina", "zhodino", "żodzin{o,ie}", "schodsina", "жодін{о,і}"]),
    "Жлобин": ("Zhlobin", ["zhlobin", "żłobin~"]),
    "Светлогорск": ("Svietlahorsk", ["svietlahorsk", "svetlogorsk"]),
    "Речица": ("Rechytsa", ["rechytsa", "rechitsa"]),
    "Слуцк": ("Slutsk", ["slutsk~", "słuck~", "sluzk", "слуцьк~"]),
    "Кобрин": ("Kobryn", ["kobryn~", "kobrin~"]),
    "Волковыск": ("Vawkavysk", ["vawkavysk", "volkovysk", "wołkowysk~"]),
    "Слоним": ("Slonim", ["slonim"]),
    "Ивацевичи": (
        "Ivatsevichy",
        ["ivatsevichy", "ivatsevichi", "iwacewicz{e,ach}", "iwazewitschi", "івацевичах"],
    ),
    "Шклов": ("Shklow", ["shklow", "shklov", "szkłów", "szkłowie"]),
    "Новогрудок": ("Navahrudak", ["navahrudak", "novogrudok", "nowogródek", "nowogródku"]),
    "Несвиж": ("Nesvizh", ["nesvizh", "niasvizh", "nieśwież~"]),
    "Ошмяны": ("Ashmyany", ["ashmyany", "oshmyany", "oszmian{a,ie,y}"]),
    "Сморгонь": ("Smarhon", ["smarhon", "smorgon", "smorgoń", "smorgoni"]),
    "Калинковичи": ("Kalinkavichy", ["kalinkavichy", "kalinkovichi"]),
    "Осиповичи": ("Asipovichy", ["asipovichy", "osipovichi"]),
    "Горки": ("Horki", ["horki"]),
    "Глубокое": ("Hlybokaye", ["hlybokaye", "glubokoye", "głębokie"]),
    "Рогачёв": ("Rahachow", ["rahachow", "rogachev", "rohaczów"]),
    "Лепель": ("Lyepyel", ["lepel", "lyepyel"]),
    "Поставы": ("Pastavy", ["pastavy", "postavy", "postawy"]),
}

# Łacinka and historical names the transliterations above do not produce (Miensk/Менск = Minsk before
# 1939, Bieraście = Brest, Harodnia = Grodno, Vorša = Orsha, Połacak = Polotsk), Łacinka spellings
# without the soft "i" (Maladzečna) and forms with a fleeting vowel (Навагрудак -> Навагрудку).
# A name that is also an ordinary word or a name elsewhere is listed in GUARDED_HISTORICAL: it counts
# only when the article is about Belarus on other evidence (``requires_belarus`` on the variant).
HISTORICAL: dict[str, list[str]] = {
    "Минск": ["miensk~", "mensk~", "менск~"],
    "Брест": ["bieraści{e,a,u,}", "берасьц{е,і,я,ю}"],
    "Гродно": ["harodn{ia,i,iu,iaj}", "гародн{я,і,ю,яй}"],
    "Орша": ["vorš{a,y,u,aj}", "ворш{а,ы,у,ай}"],
    "Полоцк": ["połacak", "полацак"],
    "Молодечно": ["maladzečn{a,ie,aj}"],
    "Новогрудок": ["navahrudk{u,a}", "навагрудк{у,а}", "новогрудк{е,а,у}", "nowogródk{a,u}"],
}
# Гародня is also a log section of a wooden fortress wall; Vorša/Ворша a surname.
GUARDED_HISTORICAL = {"harodn{ia,i,iu,iaj}", "гародн{я,і,ю,яй}", "vorš{a,y,u,aj}", "ворш{а,ы,у,ай}"}

RU_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "yo",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
BE_BGN = dict(
    zip(
        "абвгдеёжзійклмнопрстуўфхцчшыьэюя'’",
        [
            "a",
            "b",
            "v",
            "h",
            "d",
            "ye",
            "yo",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "w",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "y",
            "",
            "e",
            "yu",
            "ya",
            "",
            "",
        ],
        strict=True,
    )
)
BE_NATIONAL = dict(
    zip(
        "абвгдеёжзійклмнопрстуўфхцчшыьэюя'’",
        [
            "a",
            "b",
            "v",
            "h",
            "d",
            "ie",
            "io",
            "ž",
            "z",
            "i",
            "j",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "ŭ",
            "f",
            "ch",
            "c",
            "č",
            "š",
            "y",
            "",
            "e",
            "iu",
            "ia",
            "",
            "",
        ],
        strict=True,
    )
)
VOWELS = set("аеёиоуыэюяіaeiouy")


def translit(name: str, table: dict[str, str]) -> str:
    out = []
    for i, ch in enumerate(name.lower()):
        rep = table.get(ch, ch)
        if (
            table is not RU_LATIN
            and ch in "еёюя"
            and (i == 0 or name.lower()[i - 1] in VOWELS | {"ь", "'", "’", " ", "-"})
        ):
            rep = (
                {"е": "ye", "ё": "yo", "ю": "yu", "я": "ya"}[ch]
                if table is BE_BGN
                else {"е": "je", "ё": "jo", "ю": "ju", "я": "ja"}[ch]
            )
        out.append(rep)
    return "".join(out)


def to_ukrainian(ru: str) -> str:
    s = ru.lower().replace("и", "і").replace("ы", "и").replace("э", "е").replace("ё", "ьо")
    return re.sub(r"ск$", "ськ", s)


def pattern_for(name: str) -> str:
    """Pattern with case endings on the last word; earlier words of multi-word names take any ending."""
    words = [w for w in re.split(r"[\s\-]+", name.lower().replace("’", "'")) if w]
    out = []
    for i, word in enumerate(words):
        stem = word[:-1] if word[-1] in VOWELS | {"ь", "й"} else word
        last = i == len(words) - 1
        if len(stem) < 4:
            out.append(word)
        else:
            out.append(stem + ("~" if last else "*"))
    return " ".join(out)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build(source: Path) -> dict[str, object]:
    data = json.loads(source.read_text(encoding="utf-8"))
    licence = (source.parent / "belarus-toponyms.LICENSE").read_text(encoding="utf-8")
    places = []
    seen_ids: set[str] = set()
    for item in sorted(data, key=lambda d: (d["type"], d["ru"])):
        ru = item["ru"]
        if item["type"] not in KEEP_TYPES or ru in FOREIGN:
            continue
        be = item.get("be") or BE_FIX.get(ru, "")
        name, extra = EXONYMS.get(ru, (item["en"], []))
        variants: dict[str, list[object]] = {}
        if ru in COMMON_WORDS:
            if ru not in LATIN_ONLY:
                continue
            variants["en"] = sorted(set(LATIN_ONLY[ru] + [p for p in extra if p.isascii()]))
        else:
            variants["ru"] = [pattern_for(ru)]
            if be and be != ru:
                variants["be"] = [("=" + be) if ru in CASE_SENSITIVE_BE else pattern_for(be)]
                if be.endswith("ў"):  # Магілёў -> Магілёва, Магілёве; Барысаў -> Барысаве
                    v_stem = be[:-1] + "в"
                    variants["be"].append(pattern_for(v_stem + "а"))
                    variants["en"] = [pattern_for(translit(v_stem + "а", BE_NATIONAL))]
            uk = to_ukrainian(ru)
            if uk not in (ru.lower(), be.lower()):
                variants["uk"] = [pattern_for(uk)]
            latin = {item["en"], translit(ru, RU_LATIN), translit(ru.replace("ё", "е"), RU_LATIN)}
            if be:
                latin |= {translit(be, BE_BGN), translit(be, BE_NATIONAL)}
            # Latin names of small towns collide with names elsewhere (Сенно -> Senno ~ Senna):
            # case endings only for cities, exact names for towns.
            to_pattern = pattern_for if item["type"] == 11 else str.lower
            variants["en"] = sorted(
                {to_pattern(n) for n in latin if len(n) >= 4} | set(variants.get("en", []))
            )
            if extra:
                variants["xx"] = sorted(set(extra))
        for pattern in HISTORICAL.get(ru, []):
            lang = "be" if re.search("[а-яёіў]", pattern) else "be_latn"
            guarded = pattern in GUARDED_HISTORICAL
            variants.setdefault(lang, []).append(
                {"p": pattern, "requires_belarus": True} if guarded else pattern
            )
        place_id = f"place:{slug(name)}"
        if place_id in seen_ids:
            place_id = f"place:{slug(name)}-{KEEP_TYPES[item['type']]}"
        seen_ids.add(place_id)
        aliases = sorted(
            {item["en"], translit(ru, RU_LATIN).title()} | ({translit(be, BE_BGN).title()} if be else set())
        )
        entry: dict[str, object] = {
            "id": place_id,
            "name": name,
            "type": "place",
            "kind": KEEP_TYPES[item["type"]],
            "aliases": [a for a in aliases if a != name],
            "belarus": True,
            "variants": variants,
            "geo": item["geo"],
        }
        if ru in AMBIGUOUS:
            entry["requires_belarus"] = True
        if ru in UNLESS:
            entry["unless"] = UNLESS[ru]
        places.append(entry)
    return {
        "version": 1,
        "source": "chubrik/Toponym belarus-toponyms.json (via ../shared/gazetteers), cities and towns only",
        "licence": licence,
        "generated_by": "scripts/build_places.py",
        "places": places,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"build_places: gazetteer not found: {args.source}", file=sys.stderr)
        return 1
    result = build(args.source)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"build_places: wrote {len(result['places'])} places to {args.output}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
