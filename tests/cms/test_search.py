from tests import factories


def test_search_finds_a_consultation_by_a_word_of_its_summary(client, consultation_index):
    factories.consultation(
        consultation_index, title="Plan vélo", summary="Des pistes cyclables sécurisées."
    )
    factories.consultation(consultation_index, title="Médiathèque", summary="Des horaires.")
    response = client.get("/recherche/", {"q": "cyclables"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Plan vélo" in html
    assert "Médiathèque" not in html
    assert "1 résultat pour « cyclables »" in html


def test_search_without_results_says_what_to_do(client, site_tree):
    response = client.get("/recherche/", {"q": "zzzzzz"})
    assert "Aucun résultat. Essayez d’autres mots, ou moins de mots." in response.content.decode()


def test_empty_search_shows_the_form(client, site_tree):
    response = client.get("/recherche/")
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


def test_search_ignores_unpublished_pages(client, consultation_index):
    page = factories.consultation(consultation_index, title="Brouillon secret")
    page.unpublish()
    assert "Brouillon secret" not in client.get("/recherche/", {"q": "secret"}).content.decode()


def test_search_finds_french_word_forms_on_every_database(client, consultation_index):
    """« piste » finds « pistes », « velo » finds « vélos », on SQLite too."""
    factories.consultation(
        consultation_index, title="Plan vélo", summary="Des pistes cyclables et des vélos."
    )
    factories.consultation(consultation_index, title="Médiathèque", summary="Des horaires.")
    for query in ("piste", "PISTES", "cyclable", "velo", "mediatheques", "horaire"):
        html = client.get("/recherche/", {"q": query}).content.decode()
        assert "1 résultat pour" in html, query
    html = client.get("/recherche/", {"q": "piste"}).content.decode()
    assert "Plan vélo" in html and "Médiathèque" not in html
    assert "son pluriel" in html  # the page says what is matched


def test_stems_meet_across_word_forms():
    from cms.search import stemmed_query, stems

    assert stems("pistes cyclables") == stems("piste cyclable") == ["pist", "cyclabl"]
    assert stemmed_query("les vélos") == "velo"
    assert stemmed_query("le la les") == "le la les"  # only stop words: kept as typed
