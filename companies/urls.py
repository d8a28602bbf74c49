from django.urls import path

from companies import views, views_declarations, views_home, views_proposals, views_uploads

app_name = "companies"

urlpatterns = [
    # The company contact's pages.
    path("", views_home.company_home, name="home"),
    path("lots/<int:pk>/", views.company_lot, name="lot"),
    path(
        "lots/<int:pk>/declaration/<str:month>/",
        views_home.journaled_declaration(views_declarations.company_declaration),
        name="declaration",
    ),
    path("lots/<int:pk>/attestation/<int:year>.pdf", views_home.company_statement, name="statement"),
    path("lots/<int:pk>/declaration/<str:month>/fichier/", views_uploads.company_upload, name="upload"),
    path(
        "lots/<int:pk>/declaration/<str:month>/fichier/confirmer/",
        views_uploads.company_upload_confirm,
        name="upload_confirm",
    ),
    path(
        "lots/<int:pk>/declaration/<str:month>/modele.<str:extension>",
        views_uploads.company_upload_template,
        name="upload_template",
    ),
    path("lots/<int:pk>/proposer/", views_proposals.company_propose, name="propose"),
    path("invitation/<uidb64>/<token>/", views.accept_invitation, name="accept"),
    # The facilitator's pages: who reaches a lot, invite, revoke.
    path("acces/lot/<int:pk>/", views.lot_access, name="lot_access"),
    path("acces/<int:pk>/retirer/", views.revoke_access, name="revoke"),
    # The facilitator's review of a lot's monthly declarations.
    path("suivi/lot/<int:pk>/<str:month>/", views_declarations.declaration_review, name="review"),
    # The facilitator examines a new person a company proposes.
    path("suivi/proposition/<int:pk>/", views_proposals.proposal_detail, name="proposal"),
]
