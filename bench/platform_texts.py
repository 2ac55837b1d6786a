"""Realistic catalogue texts for the platform benchmark: needs of public buyers and offerings of suppliers in
Dutch, French and English, several sentences each, built around CPV labels of the vendored vocabulary (so
the texts, their declared codes and the matching engine's CPV signal agree). Seeded: the same --items gives
the same catalogue."""

from __future__ import annotations

import random

LANGS = ("nl", "fr", "en")
LANG_WEIGHTS = (6, 3, 2)

# CPV divisions where innovation procurement happens (equipment, IT, construction, energy, health, ...).
DIVISIONS = (
    "09",
    "30",
    "31",
    "32",
    "33",
    "34",
    "35",
    "38",
    "39",
    "42",
    "43",
    "44",
    "45",
    "48",
    "50",
    "51",
    "60",
    "64",
    "65",
    "71",
    "72",
    "73",
    "77",
    "79",
    "80",
    "85",
    "90",
    "92",
)

PLACES = (
    "Gent",
    "Antwerpen",
    "Leuven",
    "Brugge",
    "Hasselt",
    "Mechelen",
    "Kortrijk",
    "Aalst",
    "Genk",
    "Oostende",
    "Sint-Niklaas",
    "Turnhout",
    "Roeselare",
    "Brussel",
    "Liège",
    "Namur",
)

NEED = {
    "nl": {
        "title": [
            "Innovatieve aanpak voor {a}",
            "Slimme oplossing voor {a}",
            "Duurzame {a} voor onze diensten",
            "Zoektocht naar betere {a}",
            "Proefproject {a} in {place}",
        ],
        "sentences": [
            "De stad {place} zoekt een innovatieve oplossing voor {a}.",
            "Vandaag gebeurt dit grotendeels manueel, wat veel tijd en geld kost.",
            "We willen dat de oplossing aansluit op onze bestaande systemen voor {b}.",
            "De gebruikers zijn medewerkers op het terrein en burgers die snel een antwoord verwachten.",
            "Een proefproject van zes maanden in twee wijken moet aantonen dat de aanpak werkt.",
            "Gegevens moeten in de Europese Unie blijven en de oplossing moet toegankelijk zijn.",
            "We verwachten een lagere CO2-uitstoot en minder onderhoud van {c}.",
            "Leveranciers met ervaring in {b} of {c} worden uitgenodigd voor een marktconsultatie.",
            "Het budget omvat de ontwikkeling, de proefperiode en de opleiding van het personeel.",
        ],
        "outcome": [
            "Een werkend prototype voor {a} dat na de proef kan opschalen.",
            "Minder klachten, kortere doorlooptijden en een duidelijke besparing op {b}.",
        ],
    },
    "fr": {
        "title": [
            "Approche innovante pour {a}",
            "Solution intelligente de {a}",
            "{a} durable pour nos services",
            "Recherche de meilleurs {a}",
            "Projet pilote {a} à {place}",
        ],
        "sentences": [
            "La ville de {place} cherche une solution innovante pour {a}.",
            "Aujourd'hui ce travail est surtout manuel, ce qui coûte beaucoup de temps et d'argent.",
            "La solution doit s'intégrer à nos systèmes existants de {b}.",
            "Les utilisateurs sont des agents de terrain et des citoyens qui attendent une réponse rapide.",
            "Un projet pilote de six mois dans deux quartiers doit démontrer que l'approche fonctionne.",
            "Les données restent dans l'Union européenne et la solution doit être accessible.",
            "Nous attendons moins d'émissions de CO2 et moins d'entretien de {c}.",
            "Les fournisseurs ayant de l'expérience en {b} ou {c} sont invités à une consultation du marché.",
            "Le budget couvre le développement, la phase pilote et la formation du personnel.",
        ],
        "outcome": [
            "Un prototype opérationnel pour {a}, prêt à passer à l'échelle après le pilote.",
            "Moins de plaintes, des délais plus courts et une économie nette sur {b}.",
        ],
    },
    "en": {
        "title": [
            "Innovative approach to {a}",
            "Smart solution for {a}",
            "Sustainable {a} for our services",
            "Looking for better {a}",
            "Pilot project {a} in {place}",
        ],
        "sentences": [
            "The city of {place} is looking for an innovative solution for {a}.",
            "Today this work is mostly done by hand, which costs a lot of time and money.",
            "The solution should connect to our existing systems for {b}.",
            "Its users are field staff and citizens who expect a quick answer.",
            "A six-month pilot in two neighbourhoods should show that the approach works.",
            "Data stays in the European Union and the solution must be accessible.",
            "We expect lower CO2 emissions and less maintenance of {c}.",
            "Suppliers with experience in {b} or {c} are invited to a market consultation.",
            "The budget covers development, the pilot phase and training of the staff.",
        ],
        "outcome": [
            "A working prototype for {a} that can scale up after the pilot.",
            "Fewer complaints, shorter lead times and clear savings on {b}.",
        ],
    },
}

OFFER = {
    "nl": {
        "title": [
            "{a} met sensoren en open data",
            "Platform voor {a}",
            "Circulaire {a}",
            "Automatische opvolging van {a}",
            "{a} als dienst",
        ],
        "sentences": [
            "Ons bedrijf ontwikkelt {a} voor lokale besturen en zorginstellingen.",
            "De oplossing combineert sensoren, een open platform en een eenvoudige mobiele app.",
            "Ze werkt samen met bestaande software voor {b} via open standaarden.",
            "In {place} verminderde een proefproject de kosten met een kwart.",
            "We leveren installatie, opleiding en onderhoud van {c} in heel Vlaanderen.",
            "Alle gegevens worden versleuteld bewaard in Belgische datacenters.",
            "Het product is modulair, zodat een bestuur klein kan beginnen en later uitbreiden.",
        ],
    },
    "fr": {
        "title": [
            "{a} avec capteurs et données ouvertes",
            "Plateforme de {a}",
            "{a} circulaire",
            "Suivi automatique de {a}",
            "{a} en tant que service",
        ],
        "sentences": [
            "Notre entreprise développe {a} pour les pouvoirs locaux et les institutions de soins.",
            "La solution combine des capteurs, une plateforme ouverte et une application mobile simple.",
            "Elle fonctionne avec les logiciels existants de {b} grâce à des standards ouverts.",
            "À {place}, un projet pilote a réduit les coûts d'un quart.",
            "Nous assurons l'installation, la formation et l'entretien de {c} partout en Belgique.",
            "Toutes les données sont chiffrées et stockées dans des centres de données belges.",
            "Le produit est modulaire : une administration peut commencer petit et l'étendre ensuite.",
        ],
    },
    "en": {
        "title": [
            "{a} with sensors and open data",
            "Platform for {a}",
            "Circular {a}",
            "Automatic follow-up of {a}",
            "{a} as a service",
        ],
        "sentences": [
            "Our company develops {a} for local governments and care institutions.",
            "The solution combines sensors, an open platform and a simple mobile app.",
            "It works with existing software for {b} through open standards.",
            "In {place} a pilot project cut costs by a quarter.",
            "We provide installation, training and maintenance of {c} across Belgium.",
            "All data is stored encrypted in Belgian data centres.",
            "The product is modular, so an administration can start small and grow later.",
        ],
    },
}


class TextMaker:
    def __init__(self, seed: int = 12):
        from matchmaker.reference.cpv import vocabulary

        self.rng = random.Random(seed)
        vocab = vocabulary()
        self.codes = sorted(c for c, v in vocab.items() if v.division in DIVISIONS and v.level >= 4)
        self.labels = {lang: {c: vocab[c].labels[lang] for c in self.codes} for lang in LANGS}

    def _related(self) -> list[str]:
        """Three codes, the second and third usually from the first one's group (texts about one subject)."""
        rng = self.rng
        first = rng.randrange(len(self.codes))
        picks = [self.codes[first]]
        for _ in range(2):
            if rng.random() < 0.7:
                picks.append(self.codes[min(len(self.codes) - 1, max(0, first + rng.randint(-12, 12)))])
            else:
                picks.append(rng.choice(self.codes))
        return picks

    def _fill(self, lang: str, codes: list[str]) -> dict:
        labels = [self.labels[lang][c].lower() for c in codes]
        return {"a": labels[0], "b": labels[1], "c": labels[2], "place": self.rng.choice(PLACES)}

    def need(self) -> dict:
        rng = self.rng
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        codes = self._related()
        values = self._fill(lang, codes)
        text = NEED[lang]
        sentences = rng.sample(text["sentences"], rng.randint(4, 7))
        title = rng.choice(text["title"]).format(**values)
        return {
            "language": lang,
            "title": title[:1].upper() + title[1:200],
            "summary": " ".join(s.format(**values) for s in sentences[:2])[:500],
            "challenge": "\n\n".join(s.format(**values) for s in sentences),
            "expected_outcome": " ".join(o.format(**values) for o in text["outcome"]),
            "keywords": ", ".join(dict.fromkeys(values[k].split(",")[0][:40] for k in "abc")),
            "cpv": list(dict.fromkeys(codes[: rng.randint(1, 3)])),
        }

    def offering(self) -> dict:
        rng = self.rng
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        codes = self._related()
        values = self._fill(lang, codes)
        text = OFFER[lang]
        sentences = rng.sample(text["sentences"], rng.randint(3, 6))
        title = rng.choice(text["title"]).format(**values)
        return {
            "language": lang,
            "title": title[:1].upper() + title[1:200],
            "summary": " ".join(s.format(**values) for s in sentences[:2])[:500],
            "description": "\n\n".join(s.format(**values) for s in sentences),
            "keywords": ", ".join(dict.fromkeys(values[k].split(",")[0][:40] for k in "ab")),
            "cpv": list(dict.fromkeys(codes[: rng.randint(1, 3)])),
        }
