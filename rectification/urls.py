"""URL patterns of the rectification stage."""

from django.urls import path

from rectification import views

app_name = "rectification"

urlpatterns = [
    path("", views.problem_list, name="problem_list"),
    path("problems.xlsx", views.problem_export, name="problem_export"),
    path("new/", views.problem_new, name="problem_new"),
    path("from-opinions/", views.problem_from_opinions, name="problem_from_opinions"),
    path("from-document/<int:pk>/", views.problems_from_document, name="problems_from_document"),
    path("<int:pk>/", views.problem_detail, name="problem_detail"),
    path("<int:pk>/edit/", views.problem_edit, name="problem_edit"),
    path("<int:pk>/start/", views.problem_start, name="problem_start"),
    path("<int:pk>/hand-over/", views.problem_hand_over, name="problem_hand_over"),
    path("<int:pk>/accept/", views.problem_accept, name="problem_accept"),
    path("<int:pk>/send-back/", views.problem_return, name="problem_return"),
    path("<int:pk>/solve/", views.problem_solve, name="problem_solve"),
    path("<int:pk>/delete/", views.problem_delete, name="problem_delete"),
    path("<int:pk>/evidence/<int:file_pk>/", views.evidence_file, name="evidence_file"),
    path("results/", views.result_list, name="result_list"),
    path("results.xlsx", views.result_export, name="result_export"),
    path("results/new/", views.result_new, name="result_new"),
    path("results/import/", views.results_import, name="results_import"),
    path("results/<int:pk>/", views.result_detail, name="result_detail"),
    path("results/<int:pk>/delete/", views.result_delete, name="result_delete"),
]
